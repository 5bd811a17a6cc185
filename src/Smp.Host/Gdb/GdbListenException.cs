namespace Smp.Host.Gdb;

/// <summary>The gdb stub cannot listen where <c>--gdb</c> says (the port is taken, the address is not this host's): one sentence, exit code 2.</summary>
internal sealed class GdbListenException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One sentence naming the endpoint and the reason.</param>
    /// <param name="inner">The socket error.</param>
    public GdbListenException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

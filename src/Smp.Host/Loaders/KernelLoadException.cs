namespace Smp.Host.Loaders;

/// <summary>
/// A kernel, module or initrd that cannot be booted. The message is one sentence naming what was expected and what
/// the file is; <c>smp run</c> prints it and exits with <see cref="ExitCodes.Usage"/>.
/// </summary>
/// <param name="message">The sentence.</param>
internal sealed class KernelLoadException(string message) : Exception(message);

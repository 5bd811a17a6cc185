namespace Smp.Host.Running;

/// <summary>
/// The guest's COM1 bytes to standard output, byte for byte, as QEMU's <c>-serial stdio</c>: the
/// process's raw stdout when the writer is the console (flushed at each newline so logs stream),
/// one char per byte otherwise (tests capture a <see cref="StringWriter"/>).
/// </summary>
internal sealed class Com1Sink(TextWriter writer)
{
    private readonly Stream? _raw = ReferenceEquals(writer, Console.Out) ? Console.OpenStandardOutput() : null;

    /// <summary>Writes one byte the guest sent.</summary>
    public void Write(byte value)
    {
        if (_raw is not null)
        {
            _raw.WriteByte(value);
            if (value == (byte)'\n') _raw.Flush();
        }
        else
        {
            writer.Write((char)value);
        }
    }

    /// <summary>Flushes whatever is buffered.</summary>
    public void Flush()
    {
        _raw?.Flush();
        writer.Flush();
    }
}

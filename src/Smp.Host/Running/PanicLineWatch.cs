using System.Text;

namespace Smp.Host.Running;

/// <summary>
/// Sees a Linux kernel panic end on the console: <c>panic()</c>'s last line, "---[ end Kernel panic - not syncing: …
/// ]---", after which (panic=0, Linux's default) the kernel only spins in its final loop forever. With
/// <c>panic=-1</c> it restarts right after that line instead, and the reset ends the run first whenever it comes in the
/// same quantum. Fed every COM1 byte; costs one comparison per byte outside a line that starts with "---[".
/// </summary>
internal sealed class PanicLineWatch(Action<string> panicked)
{
    /// <summary>The start of the line that ends a panic (kernel/panic.c).</summary>
    public const string EndLine = "---[ end Kernel panic";

    private readonly StringBuilder _line = new();
    private bool _reported;

    /// <summary>Takes one console byte.</summary>
    public void Write(byte b)
    {
        if (b is (byte)'\n' or (byte)'\r')
        {
            if (_line.Length > 0 && !_reported && _line.ToString().StartsWith(EndLine, StringComparison.Ordinal))
            {
                _reported = true;
                panicked(_line.ToString());
            }

            _line.Clear();
            return;
        }

        // Only a line that can still become the end line is kept (the timestamp "[    1.190401] " is skipped first).
        if (_line.Length == 0 && b != (byte)'-') return;
        if (_line.Length < 512) _line.Append((char)b);
    }
}

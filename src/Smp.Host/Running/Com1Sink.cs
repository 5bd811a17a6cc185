using System.Runtime.InteropServices;
using System.Text;

namespace Smp.Host.Running;

/// <summary>
/// The guest's COM1 bytes to standard output, byte for byte, as QEMU's <c>-serial stdio</c>. The bytes are
/// buffered (one <c>write()</c> per byte made a 100 MB flood take minutes) and written out when a line ends
/// on a terminal, when the buffer fills, when the guest has left bytes waiting for <see cref="IdleFlush"/>
/// (a prompt without a newline while the simulation computes), when the machine stops (before any report on
/// stderr), and on every way out: <see cref="Dispose"/> after a normal end or an exception, and SIGINT,
/// SIGTERM or SIGHUP before the process dies. On the process's own stdout the bytes go to the raw stream;
/// to any other writer (tests capture a <see cref="StringWriter"/>) as one char per byte (Latin-1).
/// </summary>
/// <remarks>
/// <see cref="Write"/> takes no lock (a lock per byte cost as much as the rest of the sink): it must be called by
/// one thread at a time, as the deterministic dispatcher does (<see cref="GuestSession"/> serialises the parallel
/// dispatcher's calls). The bytes sit in a ring the writer fills and any flusher (the writer when the ring is
/// full, the idle timer, a signal handler, the end of the run) empties under a lock of its own.
/// </remarks>
internal sealed class Com1Sink : IDisposable
{
    /// <summary>How long bytes may wait in the buffer while the guest writes nothing more.</summary>
    public static readonly TimeSpan IdleFlush = TimeSpan.FromMilliseconds(100);

    private const int BufferSize = 64 * 1024, Mask = BufferSize - 1;

    private readonly TextWriter _writer;
    private readonly TextWriter? _err;
    private readonly Stream? _raw;
    private readonly bool _lineBuffered;
    private readonly byte[] _ring = new byte[BufferSize];
    private readonly Lock _flushGate = new();
    private readonly Timer? _idle;
    private readonly PosixSignalRegistration[] _signals = [];
    private long _head; // bytes the guest wrote (only the writer stores it)
    private long _tail; // bytes written out (only a flusher, under _flushGate, stores it)
    private bool _broken, _disposed;

    /// <summary>Creates a sink writing to <paramref name="writer"/>.</summary>
    /// <param name="writer">Standard output: <see cref="Console.Out"/> in the real process, a capture in tests.</param>
    /// <param name="err">Where to say, once, that standard output can no longer be written; null to stay silent.</param>
    public Com1Sink(TextWriter writer, TextWriter? err = null)
    {
        _writer = writer;
        _err = err;
        if (!ReferenceEquals(writer, Console.Out)) return;

        _raw = Console.OpenStandardOutput();
        // A person watching a terminal sees each line as the guest ends it; a file or pipe gets full buffers.
        _lineBuffered = !Console.IsOutputRedirected;
        _idle = new Timer(_ => Flush(), null, IdleFlush, IdleFlush);
        _signals =
        [
            .. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }.Select(s => PosixSignalRegistration.Create(s, _ => Flush())),
        ];
    }

    /// <summary>Takes one byte the guest sent (the machine's COM1 transmitter calls this).</summary>
    /// <param name="value">The byte.</param>
    public void Write(byte value)
    {
        // Never full here: the write that filled the ring flushed it, and other flushers only empty it.
        long head = _head;
        _ring[head & Mask] = value;
        Volatile.Write(ref _head, ++head);
        if (head - Volatile.Read(ref _tail) == BufferSize || (_lineBuffered && value == (byte)'\n')) Flush();
    }

    /// <summary>Writes out whatever is buffered.</summary>
    public void Flush()
    {
        lock (_flushGate)
        {
            long head = Volatile.Read(ref _head), tail = _tail;
            if (head == tail) return;
            int start = (int)(tail & Mask), count = (int)(head - tail), first = Math.Min(count, BufferSize - start);
            Emit(_ring.AsSpan(start, first));
            if (count > first) Emit(_ring.AsSpan(0, count - first));
            Volatile.Write(ref _tail, head);
        }
    }

    /// <summary>Flushes, stops the idle timer and releases the signal handlers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _idle?.Dispose();
        foreach (var signal in _signals) signal.Dispose();
        Flush();
    }

    private void Emit(ReadOnlySpan<byte> pending)
    {
        if (_broken) return;
        try
        {
            if (_raw is not null)
            {
                _raw.Write(pending);
                _raw.Flush();
            }
            else
            {
                _writer.Write(Encoding.Latin1.GetString(pending));
                _writer.Flush();
            }
        }
        catch (IOException ex)
        {
            // A closed pipe (smp boot | head) or a full disk: the run goes on, its reports still reach stderr.
            _broken = true;
            _err?.WriteLine($"smp: standard output cannot be written ({ex.Message.TrimEnd('.')}); the guest's further COM1 output is dropped.");
        }
    }
}

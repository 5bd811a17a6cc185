using System.Text.Json;

namespace Smp.Host.Stress;

/// <summary>
/// A campaign's append-only journal: a header line naming the campaign, then one JSON line per completed range
/// (<see cref="JournalRecord"/>), each flushed to the disk as it is appended. A report is written from it at the end
/// (so no seed's outcome is kept in memory), and a process killed with SIGKILL loses only the ranges it had not yet
/// appended: <c>--resume</c> reads the journal back, dropping a last line cut short by the kill.
/// </summary>
/// <remarks>
/// Beside a report written to a regular file the journal is <c>REPORT.journal</c>, deleted once the report is written;
/// otherwise it is a temporary file removed when the campaign ends (tests use a journal in memory).
/// </remarks>
internal sealed class StressJournal : IDisposable
{
    /// <summary>The journal's format name.</summary>
    public const string Format = "smp-stress-journal/1";

    private readonly Stream _stream;
    private readonly bool _durable;
    private long _end;

    private StressJournal(Stream stream, string? path, bool durable)
    {
        _stream = stream;
        Path = path;
        _durable = durable;
        _end = stream.Length;
    }

    /// <summary>The journal's file, or null for a temporary or in-memory journal.</summary>
    public string? Path { get; }

    /// <summary>The journal beside a report written to <paramref name="report"/>.</summary>
    public static string PathFor(string report) => report + ".journal";

    /// <summary>Creates (or replaces) the journal at <paramref name="path"/>, or a temporary one when null, and writes its header.</summary>
    public static StressJournal Create(string? path, byte[] header)
    {
        var journal = path is null
            ? new StressJournal(new FileStream(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"smp-stress-{Environment.ProcessId}-{Guid.NewGuid():N}.journal"),
                FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose), null, durable: false)
            : new StressJournal(new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 1 << 16), path, durable: true);
        journal.Append(header);
        return journal;
    }

    /// <summary>A journal kept in memory (small campaigns built by tests).</summary>
    public static StressJournal InMemory(byte[] header)
    {
        var journal = new StressJournal(new MemoryStream(), null, durable: false);
        journal.Append(header);
        return journal;
    }

    /// <summary>
    /// Opens an existing journal to go on appending to it: returns its header and its complete records (offset and
    /// bytes), after cutting off a last line that a kill left without its end.
    /// </summary>
    /// <exception cref="FormatException">The file is not a journal.</exception>
    public static StressJournal Reopen(string path, out JsonDocument header, out List<(long Offset, byte[] Line)> records)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        try
        {
            records = [];
            long complete = 0;
            byte[]? first = null;
            foreach (var (offset, line) in Lines(stream))
            {
                if (first is null) first = line;
                else records.Add((offset, line));
                complete = offset + line.Length + 1;
            }
            if (first is null) throw new FormatException("it is empty");
            header = ParseHeader(first);
            stream.SetLength(complete);
            return new StressJournal(stream, path, durable: true);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The header line of a campaign.</summary>
    public static byte[] Header(Action<Utf8JsonWriter> writeCampaign)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WritePropertyName("campaign");
            writeCampaign(w);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Appends one line (a record's JSON, without its newline) and flushes it; returns where it starts.</summary>
    public long Append(byte[] line)
    {
        if (line.AsSpan().Contains((byte)'\n')) throw new ArgumentException("a journal record is one line", nameof(line));
        long offset = _end;
        _stream.Position = offset;
        _stream.Write(line);
        _stream.WriteByte((byte)'\n');
        if (_stream is FileStream file) file.Flush(flushToDisk: _durable);
        _end = offset + line.Length + 1;
        return offset;
    }

    /// <summary>Reads back the line of <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    public byte[] Read(long offset, int length)
    {
        var bytes = new byte[length];
        _stream.Position = offset;
        _stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Deletes the journal's file (once the report it backs is written).</summary>
    public void Delete()
    {
        _stream.Dispose();
        if (Path is not null) File.Delete(Path);
    }

    /// <summary>Closes the journal (a temporary one is deleted).</summary>
    public void Dispose() => _stream.Dispose();

    private static JsonDocument ParseHeader(byte[] line)
    {
        try
        {
            var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == Format
                && doc.RootElement.TryGetProperty("campaign", out _))
                return doc;
            doc.Dispose();
        }
        catch (JsonException)
        {
        }
        throw new FormatException($"it is not an {Format} journal");
    }

    // The complete lines of the stream (each ended by '\n'), with their offsets; a last line without its end is left out.
    private static IEnumerable<(long Offset, byte[] Line)> Lines(Stream stream)
    {
        stream.Position = 0;
        var buffer = new byte[1 << 16];
        var line = new MemoryStream();
        long offset = 0, lineStart = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            int start = 0;
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n') continue;
                line.Write(buffer, start, i - start);
                yield return (lineStart, line.ToArray());
                line.SetLength(0);
                start = i + 1;
                lineStart = offset + i + 1;
            }
            line.Write(buffer, start, read - start);
            offset += read;
        }
    }

    /// <summary>Text for diagnostics.</summary>
    public override string ToString() => Path ?? "(temporary journal)";
}

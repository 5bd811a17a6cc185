using System.Text;
using Iced.Intel;

namespace Smp.Host.Guest;

/// <summary>
/// One piece of guest code of a single bitness, assembled at a fixed address. Records which labels are
/// functions so that the image can carry a symbol table, and pools the strings the code prints.
/// </summary>
internal sealed class CodeChunk
{
    private readonly Dictionary<string, Label> labels = new(StringComparer.Ordinal);
    private readonly List<(string Name, Label Label)> functions = [];
    private readonly Dictionary<string, Label> strings = new(StringComparer.Ordinal);
    private readonly ulong symbolBias;
    private readonly int maxSize;

    /// <summary>Creates a chunk.</summary>
    /// <param name="name">For error messages.</param>
    /// <param name="bitness">16, 32 or 64.</param>
    /// <param name="ip">The instruction pointer of the first byte (for 16-bit code, relative to CS).</param>
    /// <param name="symbolBias">Added to label IPs to give physical addresses (the CS base for 16-bit code).</param>
    /// <param name="maxSize">Bytes available at this address.</param>
    public CodeChunk(string name, int bitness, ulong ip, ulong symbolBias, int maxSize)
    {
        Name = name;
        A = new Assembler(bitness);
        Ip = ip;
        this.symbolBias = symbolBias;
        this.maxSize = maxSize;
    }

    /// <summary>The chunk's name.</summary>
    public string Name { get; }

    /// <summary>The assembler.</summary>
    public Assembler A { get; }

    /// <summary>IP of the first byte.</summary>
    public ulong Ip { get; }

    /// <summary>The label called <paramref name="name"/>, created on first use (forward references work).</summary>
    /// <param name="name">A function name.</param>
    /// <returns>The label.</returns>
    public Label L(string name)
    {
        if (!labels.TryGetValue(name, out var label))
        {
            label = A.CreateLabel(name);
            labels[name] = label;
        }

        return label;
    }

    /// <summary>Starts function <paramref name="name"/> here (without a prologue).</summary>
    /// <param name="name">Its Linux name.</param>
    public void Function(string name)
    {
        var label = L(name);
        A.Label(ref label);
        functions.Add((name, label));
    }

    /// <summary>A fresh local label.</summary>
    /// <returns>The label, to be bound with <see cref="Bind"/>.</returns>
    public Label Local() => A.CreateLabel();

    /// <summary>Binds <paramref name="label"/> to the next instruction.</summary>
    /// <param name="label">A label from <see cref="Local"/>.</param>
    public void Bind(Label label) => A.Label(ref label);

    /// <summary>A NUL-terminated string in the chunk's data.</summary>
    /// <param name="text">The text.</param>
    /// <returns>Its label.</returns>
    public Label Str(string text)
    {
        if (!strings.TryGetValue(text, out var label))
        {
            label = A.CreateLabel();
            strings[text] = label;
        }

        return label;
    }

    /// <summary>Assembles the chunk.</summary>
    /// <returns>The bytes and the function symbols (physical addresses).</returns>
    public (byte[] Bytes, List<KernelSymbol> Symbols) Assemble()
    {
        var dataStart = A.CreateLabel("__data");
        A.Label(ref dataStart);
        A.int3();
        foreach (var (text, label) in strings)
        {
            var copy = label;
            A.Label(ref copy);
            var bytes = Encoding.ASCII.GetBytes(text);
            var buffer = new byte[bytes.Length + 1];
            bytes.CopyTo(buffer, 0);
            A.db(buffer);
        }

        using var stream = new MemoryStream();
        var result = A.Assemble(new StreamCodeWriter(stream), Ip, BlockEncoderOptions.ReturnNewInstructionOffsets);
        var code = stream.ToArray();
        if (code.Length > maxSize)
        {
            throw new InvalidOperationException($"guest chunk {Name} is {code.Length} bytes; only {maxSize} fit at its address.");
        }

        var end = result.GetLabelRIP(dataStart);
        var starts = functions
            .Select(f => (f.Name, Rip: result.GetLabelRIP(f.Label)))
            .OrderBy(f => f.Rip)
            .ToList();
        var symbols = new List<KernelSymbol>(starts.Count);
        for (var i = 0; i < starts.Count; i++)
        {
            var next = i + 1 < starts.Count ? starts[i + 1].Rip : end;
            symbols.Add(new KernelSymbol(starts[i].Name, starts[i].Rip + symbolBias, next - starts[i].Rip));
        }

        return (code, symbols);
    }
}

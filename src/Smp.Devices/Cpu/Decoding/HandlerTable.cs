using System.Reflection;
using Iced.Intel;

namespace Smp.Devices.Cpu.Decoding;

/// <summary>
/// Maps every Iced <see cref="Code"/> to its semantic routine. A code without a routine raises #UD
/// for the guest and is counted in <see cref="UnimplementedCounts"/>, so we see what guests need.
/// </summary>
public static unsafe class HandlerTable
{
    private static readonly int CodeCount = Enum.GetValues<Code>().Length;
    private static readonly delegate*<CpuCore, ref Uop, void>[] Handlers = new delegate*<CpuCore, ref Uop, void>[CodeCount];
    private static readonly bool[] EndsBlockFlags = new bool[CodeCount];
    private static readonly long[] Unimplemented = new long[CodeCount];
    private static readonly bool[] Implemented = new bool[CodeCount];

    static HandlerTable()
    {
        for (int i = 0; i < CodeCount; i++) Handlers[i] = &RaiseUnimplemented;
        foreach (var type in typeof(HandlerTable).Assembly.GetTypes())
            foreach (var m in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
                if (m.GetCustomAttribute<InstructionFamilyAttribute>() != null)
                    m.Invoke(null, null);
    }

    /// <summary>Installs <paramref name="handler"/> for <paramref name="code"/>.</summary>
    /// <param name="code">The Iced instruction code.</param>
    /// <param name="handler">The semantic routine.</param>
    /// <param name="endsBlock">
    /// True when the instruction can change how the following bytes decode or execute (mode,
    /// paging, interrupt flag, shadows, ...): the decoder ends the block after it.
    /// </param>
    /// <exception cref="InvalidOperationException">Another family already registered <paramref name="code"/>: two families claiming one instruction is a bug.</exception>
    public static void Register(Code code, delegate*<CpuCore, ref Uop, void> handler, bool endsBlock = false)
    {
        if (Implemented[(int)code]) throw new InvalidOperationException($"Two instruction families register {code}.");
        Handlers[(int)code] = handler;
        Implemented[(int)code] = true;
        EndsBlockFlags[(int)code] = endsBlock;
    }

    /// <summary>Installs one handler for several codes.</summary>
    public static void Register(delegate*<CpuCore, ref Uop, void> handler, bool endsBlock, params ReadOnlySpan<Code> codes)
    {
        foreach (var c in codes) Register(c, handler, endsBlock);
    }

    /// <summary>The routine for <paramref name="code"/>.</summary>
    public static delegate*<CpuCore, ref Uop, void> Get(Code code) => Handlers[(int)code];

    /// <summary>True when a routine is installed for <paramref name="code"/>.</summary>
    public static bool IsImplemented(Code code) => Implemented[(int)code];

    /// <summary>Whether decoding stops after <paramref name="code"/>.</summary>
    public static bool EndsBlock(Code code) => EndsBlockFlags[(int)code];

    /// <summary>How often each unimplemented code was executed, largest first.</summary>
    public static IReadOnlyList<(Code Code, long Count)> UnimplementedCounts
    {
        get
        {
            var list = new List<(Code, long)>();
            for (int i = 0; i < CodeCount; i++)
                if (Interlocked.Read(ref Unimplemented[i]) is var n and > 0) list.Add(((Code)i, n));
            list.Sort((a, b) => b.Item2.CompareTo(a.Item2));
            return list;
        }
    }

    private static void RaiseUnimplemented(CpuCore cpu, ref Uop u)
    {
        Interlocked.Increment(ref Unimplemented[(int)u.Instr.Code]);
        cpu.RaiseFault(Vector.UD);
    }
}

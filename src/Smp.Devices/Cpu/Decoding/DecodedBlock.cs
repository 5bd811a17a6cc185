namespace Smp.Devices.Cpu.Decoding;

/// <summary>
/// A run of decoded instructions that starts at one physical address and ends at a control
/// transfer, at an instruction that changes how code executes, or at the end of its 4 KiB page.
/// It is valid while its page's version in <see cref="Memory.PhysicalMemory"/> is unchanged.
/// </summary>
public sealed class DecodedBlock
{
    /// <summary>Most instructions in one block.</summary>
    public const int MaxInstructions = 64;

    /// <summary>The decoded instructions; only the first <see cref="Count"/> are used.</summary>
    public readonly Uop[] Uops = new Uop[MaxInstructions];

    /// <summary>Number of instructions in the block.</summary>
    public int Count;

    /// <summary>Physical address of the first instruction.</summary>
    public ulong PhysicalAddress;

    /// <summary>Code size (16, 32, 64) the block was decoded for.</summary>
    public int Bitness;

    /// <summary>The page version at decode time.</summary>
    public uint Version;

    /// <summary>How the block's last instruction transfers control (a call, a return, ...); used to tell calls from jumps for watched functions.</summary>
    public Transfer LastTransfer;

    /// <summary>True when the block's first instruction is a watched function entry (<see cref="CpuCore.Watch"/>).</summary>
    public bool StartsWatchedFunction;

    /// <summary>Times the interpreter ran the whole block (counts towards compilation).</summary>
    internal int Executions;

    /// <summary>The compiled form of the block, valid when it starts at <see cref="CompiledRip"/>; null until the block is hot.</summary>
    internal BlockCompiler.CompiledBlock? Compiled;

    /// <summary>The linear address <see cref="Compiled"/> was compiled for (its instruction addresses are constants).</summary>
    internal ulong CompiledRip;

    /// <summary>False for a one-off block (an instruction straddling two pages) that must not be reused.</summary>
    public bool Cacheable;
}

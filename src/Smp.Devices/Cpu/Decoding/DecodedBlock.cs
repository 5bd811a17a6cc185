namespace Smp.Devices.Cpu.Decoding;

/// <summary>
/// A run of decoded instructions that starts at one physical address and ends at a control
/// transfer, at an instruction that changes how code executes, or at the end of its 4 KiB page.
/// It is valid while no write into decoded code has touched the 64-byte lines its bytes occupy since it was decoded
/// (<see cref="IsCurrent"/>; see <see cref="Memory.PhysicalMemory.InvalidateCode"/>).
/// </summary>
public sealed class DecodedBlock
{
    /// <summary>Most instructions in one block.</summary>
    public const int MaxInstructions = 64;

    /// <summary>The decoded instructions, <see cref="Count"/> of them (sized to fit: most blocks are a few instructions long).</summary>
    public Uop[] Uops = [];

    /// <summary>Number of instructions in the block.</summary>
    public int Count;

    /// <summary>Bytes the instructions occupy from <see cref="PhysicalAddress"/> within its page (for a straddling instruction, its first part).</summary>
    internal int ByteLength;

    /// <summary>Physical address of the first instruction.</summary>
    public ulong PhysicalAddress;

    /// <summary>Code size (16, 32, 64) the block was decoded for.</summary>
    public int Bitness;

    /// <summary>The code record of the block's page, whose stamps say whether the bytes changed.</summary>
    internal Memory.CodePage Code = Memory.CodePage.Untracked;

    /// <summary>The page's code clock read before the bytes were copied.</summary>
    internal ulong Stamp;

    /// <summary>The first and last 64-byte line of the page that the block's bytes occupy.</summary>
    internal byte FirstLine, LastLine;

    /// <summary>
    /// For one instruction straddling two pages: the code record of the second page (null otherwise), its clock read
    /// before the bytes were copied, the last line its bytes occupy there (from line 0), and its physical page number,
    /// which a fetch compares with the second page's translation before reusing the block.
    /// </summary>
    internal Memory.CodePage? Code2;

    /// <inheritdoc cref="Code2"/>
    internal ulong Stamp2, SecondPage;

    /// <inheritdoc cref="Code2"/>
    internal byte LastLine2;

    /// <summary>True for a block of one instruction whose bytes continue on the next page (never translated by the JIT).</summary>
    internal bool Straddles => Code2 is not null;

    /// <summary>True while no write has touched the block's bytes since they were decoded.</summary>
    internal bool IsCurrent => Code.Unchanged(Stamp, FirstLine, LastLine) && (Code2 is null || Code2.Unchanged(Stamp2, 0, LastLine2));

    /// <summary>How the block's last instruction transfers control (a call, a return, ...); used to tell calls from jumps for watched functions.</summary>
    public Transfer LastTransfer;

    /// <summary>True when the block's first instruction is a watched function entry (<see cref="CpuCore.Watch"/>).</summary>
    public bool StartsWatchedFunction;

    /// <summary>Times the interpreter ran the whole block (counts towards translation, see <see cref="CpuCore.JitThreshold"/>).</summary>
    internal int Executions;

    /// <summary>
    /// The translated region this block enters: the one it heads, or one that holds it as an enterable node
    /// (<see cref="RegionEntry"/>); null until the block or a region around it is hot.
    /// </summary>
    internal Jit.RegionHandle? Region;

    /// <summary>The node of <see cref="Region"/> this block is (0: the head).</summary>
    internal int RegionEntry;

    /// <summary>False for a one-off block that must not be reused (a debugger breakpoint's, or code rewritten while it was decoded).</summary>
    public bool Cacheable;
}

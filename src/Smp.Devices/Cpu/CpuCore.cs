using Smp.Devices.Memory;

namespace Smp.Devices.Cpu;

/// <summary>
/// One logical x86-64 processor: architectural state plus an interpreter that executes guest
/// machine code decoded once by Iced. The core knows nothing of actors; a CPU actor drives it with
/// <see cref="Run"/> for a quantum of instructions at a time.
/// </summary>
/// <remarks>
/// The class is split by concern into partial files: registers, flags, memory and paging,
/// decoding and execution, events (exceptions, interrupts, NMI, debug), system registers.
/// </remarks>
public sealed partial class CpuCore
{
    /// <summary>Creates a processor attached to <paramref name="memory"/> and <paramref name="ports"/>, in its reset state.</summary>
    /// <param name="memory">The machine's physical address space (shared by all CPUs).</param>
    /// <param name="ports">The I/O port bus.</param>
    /// <param name="apicId">This processor's initial local APIC ID (CPUID.01H:EBX[31:24]).</param>
    /// <param name="isBsp">Whether IA32_APIC_BASE.BSP is set at reset.</param>
    public CpuCore(PhysicalMemory memory, IPortBus? ports = null, int apicId = 0, bool isBsp = true)
    {
        Memory = memory;
        Ports = ports ?? NullPortBus.Instance;
        ApicId = apicId;
        IsBsp = isBsp;
        _fault = new CpuFault();
        _decodeReader = new DecodeBufferReader(_decodeBuffer);
        memory.FastWritesRevoked += RevokeFastWrites;
        memory.CodePageMarked += ForgetWritablePage;
        Reset();
    }

    /// <summary>The physical address space this CPU reads and writes.</summary>
    public PhysicalMemory Memory { get; }

    /// <summary>The I/O port bus used by IN, OUT, INS and OUTS.</summary>
    public IPortBus Ports { get; set; }

    /// <summary>Initial local APIC ID of this processor.</summary>
    public int ApicId { get; }

    /// <summary>True for the bootstrap processor.</summary>
    public bool IsBsp { get; }

    /// <summary>The activity state.</summary>
    public RunState State { get; set; }

    /// <summary>Instructions retired since reset (the basis of this CPU's simulated clock and TSC).</summary>
    public long InstructionsRetired;

    /// <summary>
    /// Puts the processor in its power-up/RESET state (SDM Vol. 3A §9.1.1, Table 9-1): real mode,
    /// CS selector F000h with base FFFF0000h, IP FFF0h, RFLAGS 2, CR0 60000010h, EDX = processor signature,
    /// the x87 power-up state, XMM registers 0, MXCSR 1F80h, XCR0 1.
    /// </summary>
    public void Reset()
    {
        ResetRegisters();
        ResetExtendedState();
    }

    // The RESET values that INIT also loads (SDM Vol. 3A Table 9-1); the x87/SSE state is RESET-only.
    private void ResetRegisters()
    {
        R = default;
        RflagsBits = Rflags.Reserved1;
        LazyOp = FlagOp.None;
        for (int i = 0; i < 6; i++) Segs[i] = SegmentRegister.RealMode(0);
        Segs[Seg.CS] = new SegmentRegister { Selector = 0xF000, Base = 0xFFFF_0000, Limit = 0xFFFF, Attributes = 0x9B };
        Rip = 0xFFF0;
        Cr0 = 0x6000_0010;
        Cr2 = Cr3 = Cr4 = Cr8 = 0;
        Efer = 0;
        Gdtr = new DescriptorTableRegister { Limit = 0xFFFF };
        Idtr = new DescriptorTableRegister { Limit = 0xFFFF };
        Ldtr = new SegmentRegister { Limit = 0xFFFF, Attributes = 0x82 };
        Tr = new SegmentRegister { Limit = 0xFFFF, Attributes = 0x8B };
        R[Reg.RDX] = CpuidSignature;
        State = RunState.Running;
        ResetSystemState();
        ResetSystemRegisters();
        UpdateMode();
        FlushTlb();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"CPU{ApicId} {Mode} {Segs[Seg.CS].Selector:X4}:{Rip:X} RAX={R[0]:X} RCX={R[1]:X} RDX={R[2]:X} RBX={R[3]:X} RSP={R[4]:X} RBP={R[5]:X} RSI={R[6]:X} RDI={R[7]:X} RFLAGS={GetRflags():X}";
}

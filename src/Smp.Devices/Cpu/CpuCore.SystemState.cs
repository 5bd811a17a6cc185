namespace Smp.Devices.Cpu;

public sealed partial class CpuCore
{
    /// <summary>CPUID.01H:EAX and the EDX value after RESET (<see cref="Cpuid.Signature"/>).</summary>
    public const uint CpuidSignature = Cpuid.Signature;

    /// <summary>CR0 (PE bit 0, MP 1, EM 2, TS 3, ET 4, NE 5, WP 16, AM 18, NW 29, CD 30, PG 31).</summary>
    public ulong Cr0;

    /// <summary>CR2: the linear address of the last page fault.</summary>
    public ulong Cr2;

    /// <summary>CR3: the paging structure root.</summary>
    public ulong Cr3;

    /// <summary>CR4 (PSE bit 4, PAE 5, PGE 7, OSFXSR 9, ...).</summary>
    public ulong Cr4;

    /// <summary>CR8: task priority (bits 3:0 mirror APIC TPR[7:4]).</summary>
    public ulong Cr8;

    /// <summary>IA32_EFER (SCE bit 0, LME 8, LMA 10, NXE 11).</summary>
    public ulong Efer;

    /// <summary>The global descriptor table register.</summary>
    public DescriptorTableRegister Gdtr;

    /// <summary>The interrupt descriptor table register.</summary>
    public DescriptorTableRegister Idtr;

    /// <summary>The LDT register with its descriptor cache.</summary>
    public SegmentRegister Ldtr;

    /// <summary>The task register with its descriptor cache (the TSS).</summary>
    public SegmentRegister Tr;

    /// <summary>Debug address registers DR0–DR3.</summary>
    public readonly ulong[] Dr = new ulong[4];

    /// <summary>DR6: debug status.</summary>
    public ulong Dr6;

    /// <summary>DR7: debug control.</summary>
    public ulong Dr7;

    /// <summary>Current privilege level (0–3).</summary>
    public int Cpl;

    /// <summary>The operating mode, recomputed by <see cref="UpdateMode"/>.</summary>
    public CpuMode Mode { get; private set; }

    /// <summary>Code size for decoding: 16, 32 or 64.</summary>
    public int Bitness { get; private set; }

    /// <summary>True in 64-bit mode, where segment bases (except FS, GS) are zero and limits are not checked.</summary>
    public bool Is64 { get; private set; }

    /// <summary>True when CR0.PE = 1.</summary>
    public bool ProtectedMode => (Cr0 & 1) != 0;

    /// <summary>True when CR0.PG = 1.</summary>
    public bool PagingEnabled => (Cr0 & 0x8000_0000) != 0;

    /// <summary>True when EFER.LMA = 1 (IA-32e mode active).</summary>
    public bool LongModeActive => (Efer & 0x400) != 0;

    // Segment bases as used for address formation: zero for ES/CS/SS/DS in 64-bit mode (SDM Vol. 1 §3.3.7.1).
    private SegmentBases _effectiveBase;

    [System.Runtime.CompilerServices.InlineArray(6)]
    private struct SegmentBases
    {
        private ulong _element0;
    }

    /// <summary>
    /// Recomputes the mode, code size and effective segment bases after a change to CR0, EFER or a
    /// segment register. Anything that loads a segment register or control register must call it.
    /// </summary>
    public void UpdateMode()
    {
        var cs = Segs[Seg.CS];
        CpuMode mode;
        if (!ProtectedMode) mode = CpuMode.Real;
        else if (LongModeActive) mode = cs.Long ? CpuMode.Long64 : cs.DefaultBig ? CpuMode.Compat32 : CpuMode.Compat16;
        else mode = cs.DefaultBig ? CpuMode.Protected32 : CpuMode.Protected16;
        Mode = mode;
        Is64 = mode == CpuMode.Long64;
        Bitness = mode switch
        {
            CpuMode.Long64 => 64,
            CpuMode.Protected32 or CpuMode.Compat32 => 32,
            _ => 16,
        };
        if (mode == CpuMode.Real) Cpl = 0;
        for (int i = 0; i < 6; i++)
            _effectiveBase[i] = Is64 && i < Seg.FS ? 0 : Segs[i].Base;
        _tlbUserTag = Cpl == 3 ? TlbUserBit : 0;
        InvalidateFetchPath();
        RequestExit();
    }
}

using Smp.Devices.Cpu.Fpu;

namespace Smp.Devices.Cpu;

// The x87 register stack and the FPU's link to the processor (SDM Vol. 1 §8.1, §8.7; Vol. 3A §2.5, Table 2-2):
// TOP and the tags, stack faults, exception flags and ES, #NM for CR0.EM/TS, and for a pending unmasked exception
// either #MF (CR0.NE = 1) or the MS-DOS compatibility signals FERR#/IGNNE# (CR0.NE = 0, SDM Vol. 1 Appendix D).
public sealed partial class CpuCore
{
    private bool _ferr;

    /// <summary>
    /// Raised when the FERR# output changes (MS-DOS compatibility mode, CR0.NE = 0): true when a waiting x87 instruction
    /// finds an unmasked exception pending, false when the exception flags are cleared (FNCLEX, FNINIT, FNSAVE, FLDENV,
    /// FRSTOR). A PC routes it to IRQ 13 (SDM Vol. 1 Appendix D.2, D.3).
    /// </summary>
    public event Action<bool>? FerrChanged;

    /// <summary>The FERR# output (true = asserted).</summary>
    public bool Ferr => _ferr;

    /// <summary>
    /// The IGNNE# input (true = asserted): while FERR# is asserted and CR0.NE = 0, waiting x87 instructions ignore the
    /// pending exception instead of freezing. A PC asserts it on a write to port F0h (SDM Vol. 1 Appendix D.2.1.3).
    /// </summary>
    public bool Ignne { get; set; }

    /// <summary>The x87 stack top (FSW bits 11–13).</summary>
    internal int FpuTop
    {
        get => (Fsw >> X87Sw.TopShift) & 7;
        set => Fsw = (ushort)((Fsw & ~X87Sw.TopMask) | ((value & 7) << X87Sw.TopShift));
    }

    /// <summary>Physical register number of ST(i).</summary>
    internal int FpuPhysical(int i) => (FpuTop + i) & 7;

    /// <summary>True when ST(i) is empty (tag 11b).</summary>
    internal bool FpuIsEmpty(int i) => ((Ftw >> (2 * FpuPhysical(i))) & 3) == 3;

    /// <summary>ST(i).</summary>
    internal Float80 St(int i) => FpuRegisters[FpuPhysical(i)];

    /// <summary>Writes ST(i) and tags it from its contents (valid, zero or special).</summary>
    internal void SetSt(int i, Float80 v)
    {
        int phys = FpuPhysical(i);
        FpuRegisters[phys] = v;
        SetTag(phys, v.Tag);
    }

    private void SetTag(int phys, int tag) => Ftw = (ushort)((Ftw & ~(3 << (2 * phys))) | (tag << (2 * phys)));

    /// <summary>Pushes <paramref name="v"/> (TOP − 1), the caller having checked for stack overflow.</summary>
    internal void FpuPush(Float80 v)
    {
        FpuTop = FpuTop - 1;
        SetSt(0, v);
    }

    /// <summary>Marks ST(0) empty and increments TOP.</summary>
    internal void FpuPop()
    {
        SetTag(FpuPhysical(0), 3);
        FpuTop = FpuTop + 1;
    }

    /// <summary>Empties physical register <paramref name="phys"/> (FFREE).</summary>
    internal void FpuFree(int phys) => SetTag(phys, 3);

    /// <summary>The full tag word with every non-empty register tagged from its contents (FSTENV/FSAVE, SDM Vol. 1 §8.1.7).</summary>
    internal ushort FpuTagWord()
    {
        int ftw = 0;
        for (int phys = 0; phys < 8; phys++)
        {
            int tag = ((Ftw >> (2 * phys)) & 3) == 3 ? 3 : FpuRegisters[phys].Tag;
            ftw |= tag << (2 * phys);
        }
        return (ushort)ftw;
    }

    /// <summary>Loads a tag word: empty stays empty, every other register is tagged from its contents (FLDENV, FRSTOR).</summary>
    internal void FpuLoadTagWord(ushort ftw)
    {
        Ftw = ftw;
        Ftw = FpuTagWord();
    }

    /// <summary>
    /// Adds exception flags (and SF) to FSW; an unmasked one also sets ES and B (SDM Vol. 1 §8.1.3.1): the exception is
    /// then pending for the next waiting instruction.
    /// </summary>
    internal void FpuSignal(int flags)
    {
        int sw = Fsw | (flags & (X87Sw.Exceptions | X87Sw.SF));
        if ((sw & ~Fcw & X87Sw.Exceptions) != 0) sw |= X87Sw.ES | X87Sw.B;
        Fsw = (ushort)sw;
    }

    /// <summary>Sets or clears C1 (rounded up / stack overflow), leaving the other condition codes.</summary>
    internal void FpuSetC1(bool c1) => Fsw = (ushort)(c1 ? Fsw | X87Sw.C1 : Fsw & ~X87Sw.C1);

    /// <summary>Replaces C0–C3 by <paramref name="codes"/>.</summary>
    internal void FpuSetConditionCodes(int codes) => Fsw = (ushort)((Fsw & ~X87Sw.ConditionCodes) | (codes & X87Sw.ConditionCodes));

    /// <summary>Recomputes ES and B from the flags and masks after FLDCW, FLDENV or FRSTOR (and drops FERR# when nothing is pending).</summary>
    internal void FpuUpdateErrorSummary()
    {
        int sw = Fsw & ~(X87Sw.ES | X87Sw.B);
        if ((sw & ~Fcw & X87Sw.Exceptions) != 0) sw |= X87Sw.ES | X87Sw.B;
        Fsw = (ushort)sw;
        if ((sw & X87Sw.ES) == 0) SetFerr(false);
    }

    /// <summary>Clears the exception flags, SF, ES and B (FNCLEX), which also drops FERR#.</summary>
    internal void FpuClearExceptions()
    {
        Fsw = (ushort)(Fsw & ~(X87Sw.Exceptions | X87Sw.SF | X87Sw.ES | X87Sw.B));
        SetFerr(false);
    }

    /// <summary>FNINIT (SDM Vol. 2A FINIT): FCW 037Fh, FSW 0, all registers empty, pointers and opcode 0.</summary>
    internal void FpuInit()
    {
        Fcw = 0x037F;
        Fsw = 0;
        Ftw = 0xFFFF;
        Fop = 0;
        FpuIp = FpuDp = 0;
        FpuCs = FpuDs = 0;
        SetFerr(false);
    }

    /// <summary>
    /// The x87 state at power-up/RESET (SDM Vol. 3A §9.1.1, Table 9-1): FCW 0040h, FSW 0, FTW 5555h (every register
    /// tagged zero, registers +0), pointers 0. INIT keeps the x87 state (the same table) and does not come here.
    /// </summary>
    internal void FpuReset()
    {
        Array.Clear(FpuRegisters);
        FpuInit();
        Fcw = 0x0040;
        Ftw = 0x5555;
        Ignne = false;
    }

    private void SetFerr(bool level)
    {
        if (_ferr == level) return;
        _ferr = level;
        if (!level) Ignne = false; // the PC's IGNNE# latch follows FERR# down (SDM Vol. 1 Appendix D.2.1.3)
        FerrChanged?.Invoke(level);
    }

    /// <summary>
    /// The checks at the start of every x87 instruction (SDM Vol. 3A Table 2-2): #NM when CR0.EM or CR0.TS is set;
    /// then, for a waiting instruction, a pending unmasked exception (FSW.ES) raises #MF when CR0.NE = 1, and with
    /// CR0.NE = 0 asserts FERR# and freezes the processor at this instruction until an interrupt unless IGNNE# is
    /// asserted (SDM Vol. 1 §8.7, Appendix D.2.2). Returns false when the instruction must not execute (frozen).
    /// </summary>
    internal bool FpuCheck(bool waiting)
    {
        if ((Cr0 & (Cr0Em | Cr0Ts)) != 0) RaiseFault(Vector.NM);
        return !waiting || FpuCheckPending();
    }

    /// <summary>WAIT/FWAIT: #NM only when CR0.MP and CR0.TS are both set (SDM Vol. 3A Table 2-2), then the pending-exception check.</summary>
    internal bool FpuCheckWait()
    {
        if ((Cr0 & (Cr0Mp | Cr0Ts)) == (Cr0Mp | Cr0Ts)) RaiseFault(Vector.NM);
        return FpuCheckPending();
    }

    private bool FpuCheckPending()
    {
        if ((Fsw & X87Sw.ES) == 0) return true;
        if ((Cr0 & Cr0Ne) != 0) RaiseFault(Vector.MF);
        SetFerr(true);
        if (Ignne) return true;
        // Freeze: stay on this instruction until an external interrupt (or NMI) is taken; the handler returns here.
        NextRip = Rip;
        State = RunState.Halted;
        RequestExit();
        return false;
    }

    /// <summary>Records the last non-control instruction's opcode, CS:IP and (for memory operands) DS:offset (SDM Vol. 1 §8.1.8, §8.1.9).</summary>
    internal void FpuRecord(ref Uop u, bool memory)
    {
        Fop = FpuOpcode(ref u);
        FpuCs = Segs[Seg.CS].Selector;
        FpuIp = Rip;
        if (memory)
        {
            FpuDs = Segs[u.Seg].Selector;
            FpuDp = EffectiveAddress(ref u);
        }
    }

    // The 11-bit opcode: the low three bits of the D8–DF byte and the ModR/M byte (SDM Vol. 1 Figure 8-8), read
    // back from the instruction bytes (the decoded form keeps no ModR/M); the fetch translation is usually at hand.
    private ushort FpuOpcode(ref Uop u)
    {
        ulong ip = Rip;
        for (int i = 0; i < u.Length - 1; i++)
        {
            byte b = ReadCodeByte(ip + (ulong)i);
            if (b is >= 0xD8 and <= 0xDF) return (ushort)(((b & 7) << 8) | ReadCodeByte(ip + (ulong)i + 1));
        }
        return 0;
    }

    private byte ReadCodeByte(ulong ip)
    {
        ulong la = LinearIp(ip);
        ulong pa = (FetchPhysicalPage(la) << 12) | (la & 0xFFF);
        return (byte)PhysicalRead(pa, 1);
    }
}

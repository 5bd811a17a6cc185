namespace Smp.Devices.Cpu;

// Virtual-8086 mode (SDM Vol. 3B chapter 20) without the VME extensions: entered by IRET from CPL 0 or by a task
// switch with EFLAGS.VM = 1 in the image, left by an interrupt or exception (delivered to a CPL 0 handler with the
// segment registers saved on its stack) or a task switch. Inside it the CPU runs 16-bit code at CPL 3 with
// real-mode segmentation (base = selector × 16, limit FFFFh) under paging, CLI/STI/PUSHF/POPF/INT n/IRET are
// IOPL-sensitive, and I/O always consults the TSS permission bitmap.
public sealed partial class CpuCore
{
    /// <summary>True in virtual-8086 mode (EFLAGS.VM = 1; only possible in legacy protected mode).</summary>
    public bool Virtual8086 => (RflagsBits & Rflags.VM) != 0;

    // Segment caches in virtual-8086 mode: present, DPL 3, 64 KiB, 16-bit; data read/write, code readable.
    private const ushort V86DataAttributes = 0xF3, V86CodeAttributes = 0xFB;

    private void LoadV86Segment(int seg, ushort selector) => Segs[seg] = new SegmentRegister
    {
        Selector = selector,
        Base = (ulong)selector << 4,
        Limit = 0xFFFF,
        Attributes = seg == Seg.CS ? V86CodeAttributes : V86DataAttributes,
    };

    /// <summary>
    /// Enters virtual-8086 mode with <paramref name="flags"/> (VM set) and the given selectors (ES, CS, SS, DS, FS, GS
    /// in <see cref="Seg"/> order), EIP and ESP: CPL 3, real-mode segment caches (SDM Vol. 3B §20.2.1).
    /// </summary>
    internal void EnterVirtual8086(ulong flags, ReadOnlySpan<ushort> selectors, ulong eip, ulong esp)
    {
        var before = Mode;
        SetRflags(flags);
        RflagsBits |= Rflags.VM;
        for (int i = 0; i < 6; i++) LoadV86Segment(i, selectors[i]);
        R[Reg.RSP] = (uint)esp;
        Cpl = 3;
        UpdateMode();
        NextRip = Rip = eip & 0xFFFF;
        if (Mode != before) Observer?.ModeChanged(this, before, Mode);
    }

    // IRET to virtual-8086 mode (SDM Vol. 2A IRET "RETURN-TO-VIRTUAL-8086-MODE"): at CPL 0 a 32-bit IRET whose
    // EFLAGS image has VM = 1 pops EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS.
    private void IretToVirtual8086(ulong sp, ulong mask)
    {
        Span<ulong> v = stackalloc ulong[9];
        for (int i = 0; i < 9; i++) v[i] = PopAt(sp, mask, i, 4);
        Span<ushort> sel = [(ushort)v[5], (ushort)v[1], (ushort)v[4], (ushort)v[6], (ushort)v[7], (ushort)v[8]];
        EnterVirtual8086(v[2], sel, v[0], v[3]);
    }

    // IRET inside virtual-8086 mode (SDM Vol. 2A IRET, VM = 1): with IOPL = 3 a real-mode style return that may
    // change IF but not IOPL (VM stays); with IOPL < 3, #GP(0) (no VME).
    private void IretInVirtual8086(int size)
    {
        if ((RflagsBits & Rflags.IOPL) != Rflags.IOPL) RaiseFault(Vector.GP, 0);
        ulong mask = StackPointerMask, sp = R[Reg.RSP];
        ulong ip = PopAt(sp, mask, 0, size);
        ushort cs = (ushort)PopAt(sp, mask, 1, size);
        ulong fl = PopAt(sp, mask, 2, size);
        ip &= size == 2 ? 0xFFFFUL : 0xFFFF_FFFFUL;
        if (ip > 0xFFFF) RaiseFault(Vector.GP, 0);
        ulong changeable = Rflags.Arithmetic | Rflags.TF | Rflags.IF | Rflags.DF | Rflags.NT;
        if (size == 4) changeable |= Rflags.RF | Rflags.AC | Rflags.ID;
        ulong old = GetRflags();
        SetRflags((old & ~changeable) | (fl & changeable));
        SetStackPointer(sp + (ulong)(3 * size), mask);
        LoadV86Segment(Seg.CS, cs);
        UpdateMode();
        NextRip = ip;
    }

    /// <summary>
    /// The extra words an interrupt or exception from virtual-8086 mode pushes before SS (GS, FS, DS, ES, first
    /// pushed first), and the null selectors it then loads into DS, ES, FS and GS (SDM Vol. 2A INT n
    /// "INTERRUPT-FROM-VIRTUAL-8086-MODE"; Vol. 3B §20.3.1.1). The handler must be non-conforming CPL 0 code.
    /// </summary>
    private void LeaveVirtual8086Segments()
    {
        foreach (int s in (ReadOnlySpan<int>)[Seg.ES, Seg.DS, Seg.FS, Seg.GS])
        {
            Segs[s] = new SegmentRegister { Selector = 0 };
            _effectiveBase[s] = 0;
        }
    }
}

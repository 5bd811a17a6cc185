using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Platform.Firmware;

/// <summary>The 16-bit routines of the BIOS ROM (see <see cref="BiosRom"/> for where each goes).</summary>
internal static class BiosRomCode
{
    private const byte CmosIndex = 0x70, CmosData = 0x71, CmosShutdownNmiOff = 0x8F, WarmResetCode = 0x0A;

    /// <summary>
    /// POST on the bootstrap processor: stack, warm-reset check (CMOS 0x0F = 0x0A → far jump through 0040:0067, as
    /// PC/AT BIOSes do), IVT, PICs, PIT, MTRRs, the POST trap (data area and tables, written by the simulator), then INT 19h.
    /// Interrupts stay disabled (IF = 0); in the PICs only IRQ0 (the 18.2 Hz tick, counted in the BDA) and the cascade are
    /// unmasked, as PC BIOSes leave them (SeaBIOS's timer_setup does the same).
    /// </summary>
    public static void Post(Assembler a)
    {
        Label cold = a.CreateLabel(), ivt = a.CreateLabel();
        a.cli();
        a.cld();
        a.xor(ax, ax);
        a.mov(ss, ax);
        a.mov(sp, BiosRom.StackTop);
        a.mov(ds, ax);
        a.mov(es, ax);

        // CMOS shutdown status byte: read it, then clear it (IBM AT BIOS; MC146818 index 0x0F, NMI kept masked).
        a.mov(al, CmosShutdownNmiOff);
        a.@out(CmosIndex, al);
        a.@in(al, CmosData);
        a.mov(bl, al);
        a.mov(al, CmosShutdownNmiOff);
        a.@out(CmosIndex, al);
        a.xor(al, al);
        a.@out(CmosData, al);
        a.cmp(bl, WarmResetCode);
        a.jne(cold);
        a.push(__word_ptr[(int)BiosDataArea.ResetVector + 2]);
        a.push(__word_ptr[(int)BiosDataArea.ResetVector]);
        a.retf();

        // IVT: every vector → the default iret stub, then the IRQ handlers and the trap stubs.
        a.Label(ref cold);
        a.xor(di, di);
        a.mov(cx, 256);
        a.Label(ref ivt);
        a.mov(ax, BiosRom.DefaultHandler);
        a.stosw();
        a.mov(ax, BiosRom.Segment);
        a.stosw();
        a.loop(ivt);
        SetVector(a, BiosRom.MasterVectorBase, BiosRom.TimerIrqHandler);
        for (int i = 1; i < 8; i++) SetVector(a, BiosRom.MasterVectorBase + i, BiosRom.MasterIrqHandler);
        for (int i = 0; i < 8; i++) SetVector(a, BiosRom.SlaveVectorBase + i, BiosRom.SlaveIrqHandler);
        foreach (var (vector, port) in BiosTrapPorts.InterruptServices) SetVector(a, vector, BiosRom.TrapStub(port));
        SetVector(a, 0x19, BiosRom.BootstrapEntry);

        // 8259 pair (Intel 8259A datasheet): ICW1 edge/cascade/ICW4, ICW2 vector bases 08h/70h, ICW3 cascade on IRQ2,
        // ICW4 8086 mode; then mask every input but the timer and the cascade.
        Out(a, 0x20, 0x11); Out(a, 0xA0, 0x11);
        Out(a, 0x21, BiosRom.MasterVectorBase); Out(a, 0xA1, BiosRom.SlaveVectorBase);
        Out(a, 0x21, 0x04); Out(a, 0xA1, 0x02);
        Out(a, 0x21, 0x01); Out(a, 0xA1, 0x01);
        Out(a, 0x21, 0xFA); Out(a, 0xA1, 0xFF);
        // 8254 channel 0: lobyte/hibyte, mode 3, divisor 0 = 65536 → 1193182 / 65536 ≈ 18.2 Hz.
        Out(a, 0x43, 0x36); Out(a, 0x40, 0x00); Out(a, 0x40, 0x00);
        ProgramMtrrs(a);

        // The POST trap expects an INT frame (IP, CS, FLAGS) like every other trap stub.
        a.pushf();
        a.push(cs);
        a.call(BiosRom.TrapStub(BiosTrapPorts.Post));
        a.@int(0x19);
        Label halt = a.CreateLabel();
        a.Label(ref halt);
        a.hlt();
        a.jmp(halt);
    }

    // MTRR types (SDM Vol. 3A §12.11, Table 12-8) and the MSRs this POST writes.
    private const uint Uncacheable = 0, WriteProtected = 5, WriteBack = 6;
    private const uint Fix64K00000 = 0x250, Fix16K80000 = 0x258, Fix16KA0000 = 0x259, Fix4KC0000 = 0x268, PhysBase0 = 0x200, DefType = 0x2FF;

    // The top gigabyte below 4 GiB (the I/O APIC, HPET and local APIC windows, and the PCI hole's top) is uncacheable.
    private const uint MmioBase = 0xC000_0000;
    private const ulong MmioSize = 1UL << 30, PhysMaskValid = 1UL << 11;

    /// <summary>
    /// The boot processor's memory types, as PC firmware sets them before any OS runs (SDM Vol. 3A §12.11.8: the BIOS
    /// initialises the MTRRs): RAM below 640 KiB write-back, the VGA window uncacheable, the ROM area write-protected
    /// (fixed ranges, §12.11.2.2); one variable range makes the top gigabyte below 4 GiB uncacheable (§12.11.2.3, the
    /// mask covering the model's 39 physical address bits); everything else write-back by default, with fixed ranges
    /// enabled (IA32_MTRR_DEF_TYPE = 0xC06). Like SeaBIOS under QEMU, POST programs the BSP only: the APs wait for SIPI,
    /// and Linux copies the BSP's MTRRs to them ("mtrr: your CPUs had inconsistent ... corrected configuration").
    /// </summary>
    private static void ProgramMtrrs(Assembler a)
    {
        WriteMsr(a, Fix64K00000, Repeat(WriteBack));
        WriteMsr(a, Fix16K80000, Repeat(WriteBack));
        WriteMsr(a, Fix16KA0000, Repeat(Uncacheable));
        for (uint i = 0; i < 8; i++) WriteMsr(a, Fix4KC0000 + i, Repeat(WriteProtected));
        WriteMsr(a, PhysBase0, MmioBase | Uncacheable);
        WriteMsr(a, PhysBase0 + 1, (((1UL << Cpu.CpuCore.MaxPhysAddrBits) - 1) & ~(MmioSize - 1)) | PhysMaskValid);
        WriteMsr(a, DefType, 0xC00 | WriteBack);

        static ulong Repeat(uint type) => type * 0x0101_0101_0101_0101UL;
    }

    private static void WriteMsr(Assembler a, uint msr, ulong value)
    {
        a.mov(ecx, msr);
        a.mov(eax, (uint)value);
        a.mov(edx, (uint)(value >> 32));
        a.wrmsr();
    }

    /// <summary>
    /// INT 19h: read sector 0 of drive 80h to 0000:7C00 through INT 13h AH=02h, check the 0xAA55 signature and jump
    /// to 0000:7C00 with DL = 80h, SS:SP = 0000:7000 and the other general registers zero; otherwise print a message and halt.
    /// </summary>
    public static void Bootstrap(Assembler a, ushort failMessage)
    {
        Label fail = a.CreateLabel(), next = a.CreateLabel(), halt = a.CreateLabel();
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, BiosRom.StackTop);
        a.mov(dx, 0x0080);
        a.@int(0x13);                // AH = 00h: reset
        a.mov(ax, 0x0201);           // read 1 sector
        a.mov(cx, 0x0001);           // cylinder 0, sector 1
        a.mov(dx, 0x0080);           // head 0, drive 80h
        a.mov(bx, 0x7C00);
        a.@int(0x13);
        a.jc(fail);
        a.cmp(__word_ptr[0x7DFE], 0xAA55);
        a.jne(fail);
        a.xor(ax, ax); a.xor(bx, bx); a.xor(cx, cx); a.xor(si, si); a.xor(di, di); a.xor(bp, bp);
        a.mov(dx, 0x0080);
        a.jmp(0x0000, 0x7C00);

        a.Label(ref fail);
        a.push(cs);
        a.pop(ds);
        a.mov(si, failMessage);
        a.Label(ref next);
        a.lodsb();
        a.test(al, al);
        a.jz(halt);
        a.mov(ah, 0x0E);
        a.mov(bx, 0x0007);
        a.@int(0x10);
        a.jmp(next);
        a.Label(ref halt);
        a.cli();
        a.hlt();
        a.jmp(halt);
    }

    /// <summary>IRQ0: count a tick in the BDA (wrapping at midnight, 0x1800B0 ticks, setting the rollover flag), call INT 1Ch, EOI.</summary>
    public static void TimerIrq(Assembler a)
    {
        Label done = a.CreateLabel();
        a.push(ds);
        a.push(ax);
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.add(__word_ptr[(int)BiosDataArea.TimerTicks], 1);
        a.adc(__word_ptr[(int)BiosDataArea.TimerTicks + 2], 0);
        a.cmp(__word_ptr[(int)BiosDataArea.TimerTicks + 2], 0x18);
        a.jb(done);
        a.cmp(__word_ptr[(int)BiosDataArea.TimerTicks], 0xB0);
        a.jb(done);
        a.mov(__word_ptr[(int)BiosDataArea.TimerTicks], 0);
        a.mov(__word_ptr[(int)BiosDataArea.TimerTicks + 2], 0);
        a.mov(__byte_ptr[(int)BiosDataArea.TimerRollover], 1);
        a.Label(ref done);
        a.@int(0x1C);
        a.mov(al, 0x20);
        a.@out(0x20, al);
        a.pop(ax);
        a.pop(ds);
        a.iret();
    }

    // Writes vector's offset (segment F000 is already there); DS = 0.
    private static void SetVector(Assembler a, int vector, ushort offset) => a.mov(__word_ptr[vector * 4], offset);

    private static void Out(Assembler a, byte port, byte value)
    {
        a.mov(al, value);
        a.@out(port, al);
    }
}

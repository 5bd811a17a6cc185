using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Tests.Cpu.SystemControl;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Events;

/// <summary>Virtual-8086 mode without VME (SDM Vol. 3B chapter 20): entry by IRET, real-mode segmentation at CPL 3,
/// IOPL-sensitive instructions, and the way out through a CPL 0 handler with the segment registers on its stack.</summary>
public class Virtual8086Tests
{
    private const ulong Gdt = 0x7_0000, Tss = 0x6_8000, Idt = 0x6_0000;
    private const ulong V86Code = 0x2_1000;           // linear = 0x2000:0x1000
    private const ushort V86Cs = 0x2000, V86Ss = 0x3000, V86Ds = 0x1234;

    // 32-bit protected mode, flat CPL 0 (0x08 code, 0x10 data), a 32-bit TSS at 0x28 with SS0:ESP0 = 0x10:0x1F0000,
    // and a #GP handler (interrupt gate) that halts.
    private static TestMachine Rig(RecordingObserver obs)
    {
        var m = TestMachine.Protected32();
        var mem = m.Memory;
        mem.Write(Gdt + 0x08, 8, 0x00CF_9B00_0000_FFFFUL);
        mem.Write(Gdt + 0x10, 8, 0x00CF_9300_0000_FFFFUL);
        mem.Write(Gdt + 0x28, 8, 0x0000_8B00_0000_0067UL | ((Tss & 0xFF_FFFF) << 16));
        mem.Write(Tss + 4, 4, 0x1F_0000);
        mem.Write(Tss + 8, 4, 0x10);
        mem.Write(Tss + 0x66, 2, 0x68);                            // I/O bitmap right after the TSS header
        mem.Write(Tss + 0x68 + (0x80 >> 3), 1, 0x01);              // port 0x80 denied, others allowed
        var c = m.Cpu;
        c.Gdtr = new DescriptorTableRegister { Base = Gdt, Limit = 0x2F };
        c.Idtr = new DescriptorTableRegister { Base = Idt, Limit = 0x7FF };
        c.Tr = new SegmentRegister { Selector = 0x28, Base = Tss, Limit = 0x67 + 0x2000 / 8 + 1, Attributes = 0x8B };
        EventRig.Gate32(mem, Vector.GP, EventRig.HandlerAt(Vector.GP));
        EventRig.Load(m, EventRig.HandlerAt(Vector.GP), 32, (a, l) => { a.hlt(); });
        c.Observer = obs;
        return m;
    }

    // CPL 0 code that IRETs into virtual-8086 mode at 0x2000:0x1000 with SS:SP = 0x3000:0x0800, DS = 0x1234.
    private static void EnterByIret(TestMachine m, ulong iopl)
    {
        EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) =>
        {
            a.push(0); a.push(0);                                      // GS, FS
            a.push((int)V86Ds); a.push(0);                             // DS, ES
            a.push((int)V86Ss); a.push(0x0800);                        // SS, ESP
            a.push((int)(0x2_0002 | (iopl << 12)));                    // EFLAGS: VM, IOPL
            a.push((int)V86Cs); a.push(0x1000);                        // CS, EIP
            a.iretd();
        });
    }

    [Fact]
    public void Iret_enters_virtual_8086_mode_where_segments_are_selector_times_16_at_cpl_3()
    {
        var obs = new RecordingObserver();
        using var m = Rig(obs);
        var c = m.Cpu;
        m.Memory.Write(V86Ds * 16UL + 0x10, 2, 0xBEEF);
        var at = EventRig.Load(m, V86Code, 16, (a, l) =>
        {
            a.mov(ax, __word_ptr[0x10]);                                // DS:0x10 = linear 0x12350
            a.mov(bx, ss);
            a.mov(cx, 0x4000); a.mov(es, cx);                           // a segment load is real-mode style
            a.push(ax);
            a.Label(ref l[0]);
            a.cli();                                                   // IOPL 0: #GP(0)
        }, 1);
        EnterByIret(m, iopl: 0);
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal((Vector.GP, (uint?)0u), (e.Vector, e.ErrorCode));
        Assert.Equal(0xBEEFUL, c.R[Reg.RAX] & 0xFFFF);
        Assert.Equal((ulong)V86Ss, c.R[Reg.RBX] & 0xFFFF);
        Assert.Equal(0xBEEFUL, m.Memory.Read(V86Ss * 16UL + 0x7FE, 2));  // the push went to SS × 16 + SP − 2
        // The CPL 0 handler's frame: EIP, CS, EFLAGS (VM), ESP, SS, ES, DS, FS, GS above the error code.
        ulong sp = c.R[Reg.RSP];
        Assert.Equal(0UL, m.Memory.Read(sp, 4));                                 // error code
        Assert.Equal(at[0] - V86Cs * 16UL, m.Memory.Read(sp + 4, 4));          // IP of the CLI
        Assert.Equal((ulong)V86Cs, m.Memory.Read(sp + 8, 4));
        Assert.NotEqual(0UL, m.Memory.Read(sp + 12, 4) & Rflags.VM);
        Assert.Equal(0x7FEUL, m.Memory.Read(sp + 16, 4));
        Assert.Equal((ulong)V86Ss, m.Memory.Read(sp + 20, 4));
        Assert.Equal(0x4000UL, m.Memory.Read(sp + 24, 4));                     // ES
        Assert.Equal((ulong)V86Ds, m.Memory.Read(sp + 28, 4));                 // DS
        Assert.False(c.Virtual8086);
        Assert.Equal(0, c.Cpl);
        Assert.Equal(0, c.Segs[Seg.DS].Selector);                              // data segments nulled
        Assert.Equal(0x1F_0000UL - 40, sp);
    }

    [Fact]
    public void With_iopl_3_cli_pushf_and_int_n_work_and_io_follows_the_permission_bitmap()
    {
        var obs = new RecordingObserver();
        using var m = Rig(obs);
        var c = m.Cpu;
        EventRig.Load(m, V86Code, 16, (a, l) =>
        {
            a.cli();
            a.pushf();
            a.pop(dx);
            a.@in(al, 0x61);                                          // allowed by the bitmap
            a.@in(al, 0x80);                                          // denied: #GP(0)
        });
        EnterByIret(m, iopl: 3);
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(Vector.GP, e.Vector);
        Assert.Equal(0x3000UL, c.R[Reg.RDX] & 0x3200);                          // IOPL 3, IF 0 (VM not in the image)
        Assert.Equal(V86Code - V86Cs * 16UL + 5, m.Memory.Read(c.R[Reg.RSP] + 4, 4));
    }

    [Fact]
    public void Sldt_is_ud_in_virtual_8086_mode()
    {
        var obs = new RecordingObserver();
        using var m = Rig(obs);
        EventRig.Gate32(m.Memory, Vector.UD, EventRig.HandlerAt(Vector.UD));
        EventRig.Load(m, EventRig.HandlerAt(Vector.UD), 32, (a, l) => { a.hlt(); });
        EventRig.Load(m, V86Code, 16, (a, l) => { a.sldt(ax); });
        EnterByIret(m, iopl: 3);
        m.Run(100);
        Assert.Equal(Vector.UD, Assert.Single(obs.Events).Vector);
    }
}

using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.SystemControl;

public class DescriptorTableTests
{
    [Fact]
    public void Lgdt_and_lidt_in_64_bit_mode_load_a_10_byte_operand_and_sgdt_sidt_store_it_back()
    {
        using var m = TestMachine.LongMode();
        var obs = new RecordingObserver();
        m.Cpu.Observer = obs;
        ulong d = TestMachine.DataBase;
        m.Memory.Write(d, 2, 0x0FFF);
        m.Memory.Write(d + 2, 8, 0xFFFF_8000_1234_5000);
        m.Memory.Write(d + 0x10, 2, 0x01FF);
        m.Memory.Write(d + 0x12, 8, 0xFFFF_8000_0000_9000);
        m.Load(a =>
        {
            a.mov(rsi, (long)d);
            a.lgdt(__[rsi]);
            a.lidt(__[rsi + 0x10]);
            a.sgdt(__[rsi + 0x20]);
            a.sidt(__[rsi + 0x30]);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0xFFFF_8000_1234_5000UL, m.Cpu.Gdtr.Base);
        Assert.Equal(0x0FFF, m.Cpu.Gdtr.Limit);
        Assert.Equal(0xFFFF_8000_0000_9000UL, m.Cpu.Idtr.Base);
        Assert.Equal(0x01FF, m.Cpu.Idtr.Limit);
        Assert.Equal(0x0FFFUL, m.Memory.Read(d + 0x20, 2));
        Assert.Equal(0xFFFF_8000_1234_5000UL, m.Memory.Read(d + 0x22, 8));
        Assert.Equal(0x01FFUL, m.Memory.Read(d + 0x30, 2));
        Assert.Equal(0xFFFF_8000_0000_9000UL, m.Memory.Read(d + 0x32, 8));
        Assert.Equal([(DescriptorTable.Gdt, 0xFFFF_8000_1234_5000UL, 0x0FFFu), (DescriptorTable.Idt, 0xFFFF_8000_0000_9000UL, 0x01FFu)], obs.Tables);
    }

    [Fact]
    public void Lgdt_with_a_non_canonical_base_in_64_bit_mode_is_GP()
    {
        using var m = TestMachine.LongMode();
        ulong d = TestMachine.DataBase;
        m.Memory.Write(d, 2, 0x27);
        m.Memory.Write(d + 2, 8, 0x0000_8000_0000_0000);
        m.Load(a =>
        {
            a.mov(rsi, (long)d);
            a.lgdt(__[rsi]);
            a.hlt();
        });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(TestMachine.GdtBase, m.Cpu.Gdtr.Base);
    }

    [Fact]
    public void Lgdt_with_16_bit_operand_size_uses_only_24_bits_of_base()
    {
        using var m = TestMachine.RealMode();
        m.Memory.Write(0x8000, 2, 0x0017);
        m.Memory.Write(0x8002, 4, 0xAB12_3456);
        m.Load(a =>
        {
            a.lgdt(__[0x8000]);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0x12_3456UL, m.Cpu.Gdtr.Base);
        Assert.Equal(0x17, m.Cpu.Gdtr.Limit);
    }

    [Fact]
    public void Lgdt_with_32_bit_operand_size_loads_a_32_bit_base()
    {
        using var m = TestMachine.Protected32();
        ulong d = TestMachine.DataBase;
        m.Memory.Write(d, 2, 0x0037);
        m.Memory.Write(d + 2, 4, 0xAB12_3456);
        m.Load(a =>
        {
            a.lidt(__[(uint)d]);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0xAB12_3456UL, m.Cpu.Idtr.Base);
        Assert.Equal(0x37, m.Cpu.Idtr.Limit);
    }

    [Fact]
    public void Lgdt_at_CPL_3_is_GP_but_sgdt_is_allowed()
    {
        using var m = TestMachine.LongMode();
        SystemTestKit.EnterUserMode(m.Cpu);
        ulong d = TestMachine.DataBase;
        m.Load(a =>
        {
            a.mov(rsi, (long)d);
            a.sgdt(__[rsi]);
            a.lgdt(__[rsi + 0x10]);
            a.hlt();
        });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0x27UL, m.Memory.Read(d, 2));
        Assert.Equal(TestMachine.GdtBase, m.Memory.Read(d + 2, 8));
    }

    [Fact]
    public void Hlt_at_CPL_3_is_GP_and_at_CPL_0_halts_and_is_observed()
    {
        using var m = TestMachine.LongMode();
        var obs = new RecordingObserver();
        m.Cpu.Observer = obs;
        m.Load(a => a.hlt());
        SystemTestKit.RunToHalt(m);
        Assert.Equal(1, obs.Halts);

        using var u = TestMachine.LongMode();
        SystemTestKit.EnterUserMode(u.Cpu);
        u.Load(a => a.hlt());
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(u));
        Assert.NotEqual(RunState.Halted, u.Cpu.State);
    }

    [Fact]
    public void Wbinvd_and_invd_are_privileged_no_ops()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.wbinvd();
            a.invd();
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(3, m.Cpu.InstructionsRetired);

        using var u = TestMachine.LongMode();
        SystemTestKit.EnterUserMode(u.Cpu);
        u.Load(a => a.wbinvd());
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(u));
    }
}

using Smp.Devices.Platform.Actors;
using Smp.Devices.Platform.Apic;

namespace Smp.Devices.Tests.Platform.Pc;

public sealed class LocalApicTests
{
    private long _now;

    private LocalApic Enabled(int id = 3)
    {
        var apic = new LocalApic(id, () => _now);
        apic.WriteRegister(0xF0, 0x1FF);
        return apic;
    }

    [Fact]
    public void Id_and_version_read_as_xapic_registers()
    {
        var apic = new LocalApic(3, () => 0);
        Assert.Equal(3u << 24, apic.ReadRegister(0x20));
        Assert.Equal(0x60015u, apic.ReadRegister(0x30));
        Assert.Equal(0xFFFF_FFFFu, apic.ReadRegister(0xE0));
        Assert.Equal(0xFFu, apic.ReadRegister(0xF0));
        Assert.Equal(0x10000u, apic.ReadRegister(0x350)); // LVTs masked at power-up
        Assert.Equal(3u << 24, (uint)apic.Read(0xFEE00020, 4));
    }

    [Fact]
    public void Highest_irr_vector_is_delivered_only_above_the_ppr_class_and_eoi_clears_the_isr()
    {
        var apic = Enabled();
        apic.AcceptInterrupt(0x31, false);
        apic.AcceptInterrupt(0x45, false);
        Assert.True(apic.HasPendingInterrupt);
        Assert.Equal(0x45, apic.AcknowledgeInterrupt());
        Assert.True(apic.IsInService(0x45));
        Assert.Equal(0x40u, apic.Ppr);
        apic.AcceptInterrupt(0x42, false);
        Assert.False(apic.HasPendingInterrupt); // same class as the one in service
        apic.WriteRegister(0xB0, 0);
        Assert.False(apic.IsInService(0x45));
        Assert.True(apic.HasPendingInterrupt);
        apic.WriteRegister(0x80, 0x50);
        Assert.Equal(0x50u, apic.Ppr);
        Assert.False(apic.HasPendingInterrupt); // TPR class 5 masks 0x42 and 0x31
        apic.WriteRegister(0x80, 0x00);
        Assert.Equal(0x42, apic.AcknowledgeInterrupt());
        Assert.Equal(0x40u, apic.ReadRegister(0xA0));
        Assert.Equal(1u << 2, apic.ReadRegister(0x100 + 0x20)); // ISR bits 64..95: bit 66 = vector 0x42
        Assert.Equal(1u << 17, apic.ReadRegister(0x200 + 0x10)); // IRR bits 32..63: vector 0x31
    }

    [Fact]
    public void Software_disabled_apic_delivers_nothing_and_keeps_lvts_masked()
    {
        var apic = new LocalApic(0, () => 0);
        apic.AcceptInterrupt(0x40, false);
        Assert.False(apic.HasPendingInterrupt);
        apic.WriteRegister(0x350, 0x700);
        Assert.Equal(0x10700u, apic.ReadRegister(0x350));
        apic.WriteRegister(0xF0, 0x1FF);
        Assert.True(apic.HasPendingInterrupt);
        apic.WriteRegister(0x350, 0x700);
        Assert.Equal(0x700u, apic.ReadRegister(0x350));
        apic.WriteRegister(0xF0, 0xFF);
        Assert.Equal(0x10700u, apic.ReadRegister(0x350));
    }

    [Fact]
    public void Ldr_dfr_and_esr_follow_their_write_rules()
    {
        var apic = Enabled();
        apic.WriteRegister(0xD0, 0x12345678);
        apic.WriteRegister(0xE0, 0x0000_0000);
        Assert.Equal(0x1200_0000u, apic.ReadRegister(0xD0));
        Assert.Equal(0x0FFF_FFFFu, apic.ReadRegister(0xE0));
        apic.AcceptInterrupt(5, false); // illegal vector
        Assert.Equal(0u, apic.ReadRegister(0x280));
        apic.WriteRegister(0x280, 0);
        Assert.Equal(0x40u, apic.ReadRegister(0x280));
        apic.WriteRegister(0x280, 0);
        Assert.Equal(0u, apic.ReadRegister(0x280));
    }

    [Fact]
    public void One_shot_timer_counts_down_on_simulated_time_and_fires_once()
    {
        var apic = Enabled();
        apic.WriteRegister(0x3E0, 0xB); // divide by 1
        apic.WriteRegister(0x320, 0x20);
        apic.WriteRegister(0x380, 1000);
        _now = 400;
        Assert.Equal(600u, apic.ReadRegister(0x390));
        Assert.Equal(1000L, apic.TimerDeadline);
        Assert.False(apic.PollTimer(999));
        _now = 1000;
        Assert.True(apic.PollTimer(1000));
        Assert.True(apic.IsRequested(0x20));
        Assert.Equal(0u, apic.ReadRegister(0x390));
        Assert.Null(apic.TimerDeadline);
    }

    [Fact]
    public void Periodic_timer_reloads_with_the_divider()
    {
        var apic = Enabled();
        apic.WriteRegister(0x3E0, 0x0); // divide by 2
        apic.WriteRegister(0x320, 0x20030);
        apic.WriteRegister(0x380, 1000);
        Assert.Equal(2000L, apic.TimerDeadline);
        Assert.True(apic.PollTimer(2000));
        Assert.Equal(4000L, apic.TimerDeadline);
        _now = 2500;
        Assert.Equal(750u, apic.ReadRegister(0x390));
        Assert.True(apic.IsRequested(0x30));
    }

    [Fact]
    public void Icr_low_write_sends_an_ipi_and_reads_idle()
    {
        var apic = Enabled(1);
        var sent = new List<Ipi>();
        apic.IpiSent += sent.Add;
        apic.WriteRegister(0x310, 0x0500_0000);
        apic.WriteRegister(0x300, 0x4000 | 0x0831); // logical, fixed, vector 0x31 (bit 14 set)
        apic.WriteRegister(0x300, 0x000C_4500);    // INIT assert, all excluding self
        apic.WriteRegister(0x300, 0x000C_4607);    // SIPI vector 7
        apic.WriteRegister(0x300, 0x0000_0005);    // illegal fixed vector: not sent
        Assert.Equal(3, sent.Count);
        Assert.Equal(new Ipi(1, new ApicDestination(DestinationShorthand.None, true, 5), DeliveryMode.Fixed, 0x31, false, true), sent[0]);
        Assert.Equal(DeliveryMode.Init, sent[1].Mode);
        Assert.Equal(DestinationShorthand.AllExcludingSelf, sent[1].Destination.Shorthand);
        Assert.Equal(new Ipi(1, new ApicDestination(DestinationShorthand.AllExcludingSelf, false, 5), DeliveryMode.StartUp, 7, false, true), sent[2]);
        Assert.Equal(0u, apic.ReadRegister(0x300) & 0x1000);
        apic.WriteRegister(0x280, 0);
        Assert.Equal(0x20u, apic.ReadRegister(0x280));
    }

    [Fact]
    public void X2apic_mode_derives_the_ldr_and_rejects_non_zero_eoi()
    {
        var apic = Enabled(0x13);
        apic.ApicBaseChanged(0xFEE00000 | (1UL << 11) | (1UL << 10));
        Assert.True(apic.X2ApicMode);
        Assert.True(apic.TryReadX2ApicMsr(0x80D, out var ldr));
        Assert.Equal((1UL << 16) | (1UL << 3), ldr);
        Assert.True(apic.TryReadX2ApicMsr(0x802, out var id));
        Assert.Equal(0x13UL, id);
        Assert.False(apic.TryWriteX2ApicMsr(0x80B, 1));
        Assert.True(apic.TryWriteX2ApicMsr(0x80B, 0));
        Assert.False(apic.TryReadX2ApicMsr(0x80E, out _)); // no DFR in x2APIC mode
        var sent = new List<Ipi>();
        apic.IpiSent += sent.Add;
        Assert.True(apic.TryWriteX2ApicMsr(0x830, (7UL << 32) | 0x4040));
        Assert.True(apic.TryWriteX2ApicMsr(0x83F, 0x41));
        Assert.Equal(7u, Assert.Single(sent).Destination.Id);
        Assert.True(apic.IsRequested(0x41));   // SELF IPI: accepted by this APIC without the bus
    }

    [Fact]
    public void Cr8_is_the_tpr_class()
    {
        var apic = Enabled();
        apic.Cr8 = 0x9;
        Assert.Equal(0x90u, apic.ReadRegister(0x80));
        apic.WriteRegister(0x80, 0x5F);
        Assert.Equal(5UL, apic.Cr8);
    }

    [Fact]
    public void Hardware_disable_returns_registers_to_power_up_values()
    {
        var apic = Enabled();
        apic.WriteRegister(0xD0, 0x0100_0000);
        apic.ApicBaseChanged(0xFEE00000);
        Assert.False(apic.HardwareEnabled);
        apic.ApicBaseChanged(0xFEE00000 | (1UL << 11));
        Assert.Equal(0u, apic.ReadRegister(0xD0));
        Assert.Equal(0xFFu, apic.ReadRegister(0xF0));
        Assert.Equal(3u << 24, apic.ReadRegister(0x20));
    }

    [Fact]
    public void Init_resets_the_registers_but_keeps_x2apic_mode_and_the_id()
    {
        var apic = Enabled(0x13);
        apic.ApicBaseChanged(0xFEE00000 | (1UL << 11) | (1UL << 10));
        apic.WriteRegister(0x80, 0x50);
        apic.InitReset();
        Assert.True(apic.X2ApicMode);
        Assert.True(apic.TryReadX2ApicMsr(0x802, out var id));
        Assert.Equal(0x13UL, id);
        Assert.True(apic.TryReadX2ApicMsr(0x80D, out var ldr));        // the logical ID follows the x2APIC ID
        Assert.Equal((1UL << 16) | (1UL << 3), ldr);
        Assert.Equal(0u, apic.Tpr);
        Assert.Equal(0xFFu, apic.ReadRegister(0xF0));                    // SVR: software-disabled again

        var disabled = Enabled(2);
        disabled.ApicBaseChanged(0xFEE00000);
        disabled.InitReset();
        Assert.False(disabled.HardwareEnabled);                          // INIT in the disabled state keeps it disabled
    }
}

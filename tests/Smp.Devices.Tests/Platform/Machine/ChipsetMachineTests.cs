using Iced.Intel;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Pc.GuestBuilder;
using MachineType = Smp.Devices.Platform.Machine;

namespace Smp.Devices.Tests.Platform.Pc;

/// <summary>The chipset devices through a running machine: HPET interrupts, the HPET counter on the CPU's clock, S5 and reset.</summary>
public sealed class ChipsetMachineTests
{
    private const uint HpetBase = 0xFED00000;

    private static MachineResult Run(Action<Assembler> bsp32, Action<MachineType>? prepare = null)
    {
        using var machine = new MachineType(GuestBuilder.Config(1));
        Load(machine, bsp32);
        prepare?.Invoke(machine);
        return machine.Run();
    }

    private static void Halt(Assembler a)
    {
        var idle = a.CreateLabel();
        a.Label(ref idle);
        a.hlt();
        a.jmp(idle);
    }

    [Fact]
    public void Hpet_legacy_timer_0_wakes_the_halted_bsp_through_io_apic_pin_2()
    {
        MachineResult result = Run(a =>
        {
            a.lidt(__[IdtDescriptor]);
            a.mov(al, 0xFF);
            a.@out(0x21, al);                                // PIC masked
            a.mov(__dword_ptr[0xFEC00000], 0x14);            // I/O APIC entry 2: vector 0x30, edge, unmasked
            a.mov(__dword_ptr[0xFEC00010], 0x30);
            a.mov(__dword_ptr[0xFEC00000], 0x15);
            a.mov(__dword_ptr[0xFEC00010], 0);
            a.mov(__dword_ptr[HpetBase + 0x100], (1 << 2) | (1 << 3) | (1 << 6) | (1 << 8)); // timer 0: enabled, periodic, VAL_SET, 32-bit
            a.mov(__dword_ptr[HpetBase + 0x108], 100_000);   // first match at 1 ms
            a.mov(__dword_ptr[HpetBase + 0x108], 100_000);   // period 1 ms
            a.mov(__dword_ptr[HpetBase + 0x010], 3);         // ENABLE_CNF | LEG_RT_CNF
            a.sti();
            Halt(a);
        }, machine =>
        {
            machine.Memory.Load(0xB000, Assemble(32, 0xB000, a =>
            {
                var ret = a.CreateLabel();
                a.inc(__dword_ptr[0x5100]);
                a.cmp(__dword_ptr[0x5100], 2);
                a.jb(ret);
                Exit(a, 0x30);
                a.Label(ref ret);
                a.mov(__dword_ptr[0xFEE000B0], 0);
                a.iretd();
            }));
            Gate(machine.Memory, 0x30, 0xB000);
        });
        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal(0x61, result.ExitCode);
        Assert.InRange(result.SimulatedNanoseconds, 2_000_000, 2_100_000); // two periods, the halted time skipped
        Assert.InRange(result.HostSteps, 1, 100);
    }

    /// <summary>Spins <paramref name="loops"/> times, then stores RDTSC's low half at 0x5200 and what <paramref name="readClock"/> leaves in EAX at 0x5204.</summary>
    private static (long Tsc, long Clock) TscBeside(int loops, Action<Assembler> readClock)
    {
        using var machine = new MachineType(GuestBuilder.Config(1));
        Load(machine, a =>
        {
            a.mov(__dword_ptr[HpetBase + 0x010], 1);
            a.mov(ecx, loops);
            var spin = a.CreateLabel();
            a.Label(ref spin);
            a.dec(ecx);
            a.jnz(spin);
            a.rdtsc();
            a.mov(__dword_ptr[0x5200], eax);
            readClock(a);
            a.mov(__dword_ptr[0x5204], eax);
            Exit(a, 1);
        });
        machine.Run();
        return ((long)machine.Memory.Read(0x5200, 4), (long)machine.Memory.Read(0x5204, 4));
    }

    [Fact]
    public void Hpet_counter_reads_the_accessing_cpus_clock()
    {
        var (tscNs, hpetTicks) = TscBeside(50_000, a => a.mov(eax, __dword_ptr[HpetBase + 0x0F0])); // 1 GHz TSC: cycles are ns
        long hpetNs = hpetTicks * 10;
        Assert.True(tscNs > 100_000, $"TSC {tscNs}");
        Assert.InRange(tscNs - hpetNs, -20, 20); // the read happens a few instructions after RDTSC, not at a quantum boundary
    }

    [Fact]
    public void Pm_timer_and_tsc_agree_on_the_accessing_cpus_clock()
    {
        var (tscNs, pmTicks) = TscBeside(300_000, a =>
        {
            a.mov(dx, 0x608);
            a.@in(eax, dx);
        });
        Assert.True(tscNs > 500_000, $"TSC {tscNs}");
        Assert.Equal(tscNs * 3_579_545 / 1_000_000_000, pmTicks, tolerance: 1); // two instructions apart: the same tick or the next
    }

    [Fact]
    public void Writing_s5_to_pm1a_cnt_powers_the_machine_off()
    {
        MachineResult result = Run(a =>
        {
            a.mov(dx, 0x604);
            a.mov(ax, 0x2000); // SLP_EN, SLP_TYP 0
            a.@out(dx, ax);
            a.jmp(a.CreateLabel()); // never reached: the run ends at the OUT
            Halt(a);
        });
        Assert.Equal(StopReason.PowerOff, result.Reason);
        Assert.Contains("powered the machine off (ACPI S5)", result.Report());
    }

    [Theory]
    [InlineData(0x64, 0xFE, "i8042")]
    [InlineData(0x92, 0x01, "port 92h")]
    public void Reset_lines_end_the_run_with_their_source(byte port, byte value, string source)
    {
        MachineResult result = Run(a =>
        {
            a.mov(al, value);
            a.@out(port, al);
            Halt(a);
        });
        Assert.Equal(StopReason.Reset, result.Reason);
        Assert.Contains(source, result.ResetSource);
    }

    [Fact]
    public void Reset_register_named_by_the_fadt_resets()
    {
        MachineResult result = Run(a =>
        {
            a.mov(dx, 0xCF9);
            a.mov(al, AcpiTables.ResetValue);
            a.@out(dx, al);
            Halt(a);
        });
        Assert.Equal(StopReason.Reset, result.Reason);
        Assert.Contains("0xCF9 (hard reset)", result.ResetSource);
    }
}

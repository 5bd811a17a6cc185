using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using Smp.Devices.Platform.Firmware;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Pc.GuestBuilder;
using MachineType = Smp.Devices.Platform.Machine;

namespace Smp.Devices.Tests.Platform.Bios;

/// <summary>The BIOS's trap mechanism: only the ROM's own OUTs to the trap ports reach the services; DX and FLAGS round-trip.</summary>
public sealed class BiosTrapTests
{
    [Fact]
    public void The_trap_ports_are_off_every_port_a_pc_device_or_pc_testdev_uses()
    {
        var platform = new PcPlatform(1, 32UL << 20, _ => { });
        for (int p = BiosTrap.TrapPortBase; p < BiosTrap.TrapPortBase + BiosTrap.TrapPortCount; p++)
        {
            Assert.Null(platform.Ports.DeviceAt((ushort)p));
            Assert.False(p is >= 0xE0 and <= 0xEF or >= 0x2000 and < 0x2018 or (>= 0xF4 and <= 0xF7));
        }
    }

    [Fact]
    public void An_out_to_a_trap_port_from_guest_code_outside_the_rom_is_an_ordinary_port_access()
    {
        var calls = new List<ushort>();
        var config = Config(1) with { BiosServices = _ => new RecordingBios(calls) };
        using var machine = new MachineType(config);
        Load(machine, _ => { });
        machine.Memory.Load(RealEntry, Assemble(16, RealEntry, a =>
        {
            a.mov(dx, BiosTrapPorts.Video);
            a.mov(al, 0x41);
            a.@out(dx, al);
            a.mov(al, 0x21);
            a.@out(0xF4, al);
            a.hlt();
        }));

        var result = machine.Run();

        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Empty(calls);
        Assert.Contains(machine.Platform.Ports.UnclaimedAccesses, u => u.Port == BiosTrapPorts.Video && u.IsWrite && u.Value == 0x41);
    }

    [Fact]
    public void A_rom_stub_trap_passes_the_callers_dx_and_flags_and_returns_the_services_dx_and_carry()
    {
        var seen = new List<(uint Edx, ushort Flags)>();
        var config = Config(1) with { BiosServices = _ => new DxBios(seen) };
        using var machine = new MachineType(config);
        Load(machine, _ => { });
        machine.Memory.Write(0x10 * 4, 4, (0xF000UL << 16) | StubOffset); // IVT[0x10] = the ROM's trap stub
        machine.Memory.Load(RealEntry, Assemble(16, RealEntry, a =>
        {
            a.xor(ax, ax);
            a.mov(ss, ax);
            a.mov(sp, 0x7000);
            a.mov(edx, 0x1234_5678);
            a.stc();
            a.@int(0x10);
            var carry = a.CreateLabel();
            a.jc(carry);              // CF comes back clear from the service
            a.mov(eax, edx);
            a.@out(0xF4, al);         // the low byte of the returned DX
            a.hlt();
            a.Label(ref carry);
            a.mov(al, 0x77);
            a.@out(0xF4, al);
            a.hlt();
        }));

        var result = machine.Run();

        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal((0xBCu << 1) | 1, (uint)result.ExitCode!);
        var (passedDx, flags) = Assert.Single(seen);
        Assert.Equal(0x1234_5678u, passedDx);
        Assert.Equal(1, flags & 1);
        Assert.Equal(0x1234_ABBCUL, machine.Cores[0].R[Smp.Devices.Cpu.Reg.RDX]);
    }

    private sealed class RecordingBios(List<ushort> calls) : IBiosServices
    {
        public void Handle(int cpu, ushort trapPort, ref BiosRegisters registers) => calls.Add(trapPort);
    }

    private sealed class DxBios(List<(uint, ushort)> seen) : IBiosServices
    {
        public void Handle(int cpu, ushort trapPort, ref BiosRegisters registers)
        {
            seen.Add((registers.Edx, registers.Flags));
            registers.Edx = 0x1234_ABBC;
            registers.Carry = false;
        }
    }
}

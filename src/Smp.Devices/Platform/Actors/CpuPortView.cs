using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using Smp.Devices.Platform.Firmware;

namespace Smp.Devices.Platform.Actors;

/// <summary>
/// One CPU's view of the I/O ports: BIOS trap ports stop the core and are handed to its actor; every
/// other access goes synchronously to the devices, whose clocks first advance to this CPU's simulated time.
/// </summary>
internal sealed class CpuPortView : IPortBus
{
    private readonly CpuCore _core;
    private readonly CpuWiring _wiring;
    private readonly PcPlatform? _platform;

    public CpuPortView(CpuCore core, CpuWiring wiring, PcPlatform? platform)
    {
        _core = core;
        _wiring = wiring;
        _platform = platform;
    }

    /// <summary>The trap port written by the last instruction, until the actor takes it.</summary>
    public ushort? PendingTrap { get; set; }

    public uint In(ushort port, int size)
    {
        _core.NoteDeviceAccess();
        if (_wiring.Ports is not { } ports) return size == 4 ? uint.MaxValue : (1u << (size * 8)) - 1;
        if (!_wiring.DevicesShared) return InDevices(ports, port, size);
        lock (_wiring.DeviceLock) return InDevices(ports, port, size);
    }

    private uint InDevices(IPortBus ports, ushort port, int size)
    {
        _platform?.AdvanceTo(_core.SimulatedNanoseconds);
        return ports.In(port, size);
    }

    public void Out(ushort port, int size, uint value)
    {
        _core.NoteDeviceAccess();
        if (BiosTrap.IsTrapPort(port) && BiosTrap.IsBiosCode(_core.Segs[Seg.CS].Base + _core.Rip))
        {
            // The ROM stub's OUT (from BIOS code only): stop right after it so the actor can call the BIOS (see BiosTrap).
            PendingTrap = port;
            _core.RequestStop();
            return;
        }

        if (_wiring.Ports is not { } ports) return;
        if (!_wiring.DevicesShared) OutDevices(ports, port, size, value);
        else
        {
            lock (_wiring.DeviceLock) OutDevices(ports, port, size, value);
        }

        if (_wiring.Control.Stopping) _core.RequestStop(); // e.g. the debug-exit port
    }

    private void OutDevices(IPortBus ports, ushort port, int size, uint value)
    {
        _platform?.AdvanceTo(_core.SimulatedNanoseconds);
        ports.Out(port, size, value);
    }
}

using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;

namespace Smp.Devices.Tests.Platform.Bios;

/// <summary>
/// A synchronous stand-in for the actor machine: one BSP, RAM, the platform's ports and the BIOS ROM mapped at
/// 0xF0000 and 0xFFFF0000. The trap ports call <see cref="BiosServices.Handle"/> in place, with
/// <see cref="BiosRegisters.Capture"/>/<see cref="BiosRegisters.ApplyTo"/> — what the BIOS actor does by message.
/// </summary>
internal sealed class BiosMachine : IDisposable
{
    public BiosMachine(DiskImage? disk, ulong ramMiB = 128, int cpus = 1, Action<PcPlatform>? beforeReset = null)
    {
        Platform = new PcPlatform(cpus, ramMiB << 20, Serial.Add);
        Memory = new PhysicalMemory(ramMiB << 20);
        Platform.IoApic.AttachTo(Memory);
        Rom = BiosRom.Build(Platform);
        Memory.MapRom(BiosRom.Base, Rom);
        Memory.MapRom(BiosRom.AliasBase, Rom);
        Cpu = new CpuCore(Memory, Platform.Ports);
        Bios = BiosServices.ForPlatform(Platform, Memory, disk, Console.Add, enabled => Cpu.A20Mask = enabled ? ulong.MaxValue : ~(1UL << 20));
        Platform.Ports.Register(BiosTrap.TrapPortBase, BiosTrap.TrapPortCount, new TrapPorts(this));
        Platform.DebugExit.ExitRequested += code => ExitCode = code;
        beforeReset?.Invoke(Platform);
        Cpu.Reset();
    }

    public PcPlatform Platform { get; }
    public PhysicalMemory Memory { get; }
    public CpuCore Cpu { get; }
    public BiosServices Bios { get; }
    public byte[] Rom { get; }
    public List<byte> Serial { get; } = [];
    public List<byte> Console { get; } = [];
    public int? ExitCode { get; private set; }
    public List<ushort> Traps { get; } = [];

    public string SerialText => System.Text.Encoding.ASCII.GetString(Serial.ToArray());
    public string ConsoleText => System.Text.Encoding.ASCII.GetString(Console.ToArray());

    /// <summary>Runs until the CPU halts or stops (the guests end with OUT 0xF4; HLT).</summary>
    public void Run(long budget = 20_000_000)
    {
        long used = 0;
        while (used < budget && Cpu.State == RunState.Running) used += Cpu.Run(Math.Min(100_000, budget - used));
        Assert.True(Cpu.State != RunState.Running, $"the guest did not halt within {budget} instructions: {Cpu}");
    }

    /// <summary>
    /// Runs with the PIC as the CPU's interrupt source: whenever the CPU halts without having exited, simulated time
    /// jumps to the platform's next device event (a PIT tick), at most <paramref name="maxEvents"/> times.
    /// </summary>
    public void RunWithTimer(int maxEvents, long budget = 20_000_000)
    {
        Cpu.InterruptSource = new PicSource(Platform.Pic);
        long used = 0;
        for (int events = 0; used < budget;)
        {
            used += Cpu.Run(Math.Min(100_000, budget - used));
            if (ExitCode is not null) break;
            if (Cpu.State != RunState.Halted) continue;
            if (events++ == maxEvents || Platform.NextEventTime is not long next) break;
            Platform.AdvanceTo(next);
        }
        Assert.NotNull(ExitCode);
    }

    public ushort Word(ulong address) => (ushort)Memory.Read(address, 2);
    public uint Dword(ulong address) => (uint)Memory.Read(address, 4);
    public byte Byte(ulong address) => (byte)Memory.Read(address, 1);

    public byte[] Bytes(ulong address, int length)
    {
        byte[] b = new byte[length];
        Memory.Copy(address, b);
        return b;
    }

    public void Dispose() => Memory.Dispose();

    private sealed class PicSource(Pic8259Pair pic) : IInterruptSource
    {
        public bool HasPendingInterrupt => pic.HasInterrupt;

        public int AcknowledgeInterrupt() => pic.Acknowledge();
    }

    private sealed class TrapPorts(BiosMachine m) : IPortDevice
    {
        public uint In(ushort port, int size) => 0xFFFF_FFFF;

        public void Out(ushort port, int size, uint value)
        {
            m.Traps.Add(port);
            BiosRegisters r = BiosRegisters.Capture(m.Cpu);
            m.Bios.Handle(0, port, ref r);
            r.ApplyTo(m.Cpu);
        }
    }
}

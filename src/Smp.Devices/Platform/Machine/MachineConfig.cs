using Smp.Actors;
using Smp.Devices.Memory;
using Smp.Devices.Platform.Firmware;

namespace Smp.Devices.Platform;

/// <summary>The shape of a simulated PC and the limits of its run. Immutable; change with <c>with</c>.</summary>
public sealed record MachineConfig
{
    /// <summary>The largest CPU count (xAPIC IDs are 8 bits and 0xFF is the broadcast ID).</summary>
    public const int MaxCpus = 255;

    /// <summary>Number of logical CPUs, 1–255; CPU 0 (APIC ID 0) is the BSP, the others wait for SIPI.</summary>
    public int Cpus { get; init; } = 1;

    /// <summary>Guest RAM in MiB (at least 2).</summary>
    public int MemoryMiB { get; init; } = 128;

    /// <summary>Seed of every random choice of the run (nothing is random yet; recorded for replays).</summary>
    public ulong Seed { get; init; }

    /// <summary>The scheduling quantum in simulated nanoseconds (default 1 µs).</summary>
    public long Quantum { get; init; } = SimTime.Microsecond;

    /// <summary>
    /// Whether a CPU that runs alone, with nothing due at the next quantum boundaries, runs those quanta in one go
    /// (default true; see CpuActor.RunAhead). What the guest does and sees is the same either way, to the instruction;
    /// tests turn it off to compare.
    /// </summary>
    public bool RunAhead { get; init; } = true;

    /// <summary>The APIC bus latency in simulated nanoseconds (messages never arrive before the next quantum boundary).</summary>
    public long BusLatency { get; init; }

    /// <summary>Cycles per retired instruction of every CPU.</summary>
    public long CyclesPerInstruction { get; init; } = 1;

    /// <summary>Core (and TSC) frequency in hertz.</summary>
    public long FrequencyHz { get; init; } = 1_000_000_000;

    /// <summary>The instruction budget over all CPUs (long.MaxValue: none).</summary>
    public long MaxInstructions { get; init; } = long.MaxValue;

    /// <summary>An optional limit on simulated time, in nanoseconds.</summary>
    public long? MaxSimulatedTime { get; init; }

    /// <summary>
    /// The BIOS ROM image (at most 128 KiB), mapped so that it ends at 1 MiB and at 4 GiB (reset vector at its last
    /// 16 bytes). The ACPI RSDP (0xF0000) and MP floating pointer/table (0xF0040) are copied into it, so a ROM must
    /// leave 0xF0000–0xF03FF free.
    /// </summary>
    public required byte[] RomImage { get; init; }

    /// <summary>The disk image handed to the BIOS services, or null for none (never written: guests' writes go to the BIOS's overlay).</summary>
    public DiskImageSource? Disk { get; init; }

    /// <summary>
    /// A kernel the BIOS boots instead of the disk's boot sector (QEMU's <c>-kernel</c>): POST hooks INT 19h and the
    /// kernel is placed and entered by the BIOS (see <see cref="IKernelImage"/>); the disk stays drive 80h. Null: boot the disk.
    /// </summary>
    public IKernelImage? Kernel { get; init; }

    /// <summary>
    /// Add QEMU's pc-testdev (ports 0xE0–0xEB, 0x2000–0x2017, MMIO scratch at 0xFF000000), as kvm-unit-tests' runner does
    /// (<c>-device pc-testdev</c>); off by default.
    /// </summary>
    public bool TestDevices { get; init; }

    /// <summary>Creates the BIOS services once the E820 map is known; null: a BIOS that only logs calls.</summary>
    public Func<BiosServicesContext, IBiosServices>? BiosServices { get; init; }

    /// <summary>Where COM1's transmitted bytes go.</summary>
    public Action<byte>? Console { get; init; }

    /// <summary>
    /// The host's view of the screen: each byte the BIOS prints through INT 10h (it also lands in the VGA text
    /// buffer, as on a PC); null shows it nowhere.
    /// </summary>
    public Action<byte>? Screen { get; init; }

    /// <summary>Run CPUs of one quantum on several host threads (only message-based interaction is then deterministic).</summary>
    public bool Parallel { get; init; }

    /// <summary>The Akka actor system the machine's simulation lives in (a cluster node's, for example); the process-wide one when null.</summary>
    public Akka.Actor.ActorSystem? ActorSystem { get; init; }

    /// <summary>An actor that throws on one message type, to test the failure path end to end; by default what <c>SMP_INJECT_FAULT</c> names.</summary>
    public FaultInjection? FaultInjection { get; init; } = FaultInjection.FromEnvironment();

    /// <summary>An optional recorder of every message delivery (for determinism tests).</summary>
    public IMessageRecorder? Recorder { get; init; }

    /// <summary>Told of routed IPIs and INIT/SIPI acceptance (telemetry), or null.</summary>
    public Actors.IMachineObserver? Observer { get; init; }

    /// <summary>
    /// Program the BSP's local APIC into virtual-wire mode at power-on (SVR enabled, LINT0 ExtINT, LINT1 NMI), as
    /// PC firmware does during POST, so the PIC reaches the BSP (default true).
    /// </summary>
    public bool VirtualWireAtReset { get; init; } = true;
}

/// <summary>What BIOS services are created from (see <see cref="MachineConfig.BiosServices"/>).</summary>
/// <param name="Memory">The physical address space (guest buffers are read and written here).</param>
/// <param name="E820">The E820 map, from the memory controller.</param>
/// <param name="Disk">The disk image (read-only), or null.</param>
/// <param name="Screen">The host's view of the screen (<see cref="MachineConfig.Screen"/>); COM1 is not part of it.</param>
/// <param name="CpuCount">The number of CPUs.</param>
/// <param name="Platform">The devices (CMOS, fw_cfg, PIT...).</param>
/// <param name="Kernel">The kernel to boot instead of the disk (<see cref="MachineConfig.Kernel"/>), or null.</param>
public sealed record BiosServicesContext(PhysicalMemory Memory, IReadOnlyList<E820Entry> E820, DiskImageSource? Disk, Action<byte> Screen, int CpuCount, PcPlatform Platform,
    IKernelImage? Kernel = null);

using Smp.Devices.Cpu;
using Smp.Host.Telemetry;

namespace Smp.Host.Tests.Telemetry;

/// <summary>A 4-CPU Linux-shaped boot fed through the recorder API, as the integrator will feed it from the machine.</summary>
internal static class SyntheticBoot
{
    public const int Cpus = 4;
    public const long EndNs = 40_000_000;
    public const long StartKernelNs = 500_000;
    public const ulong GdtBase0 = 0xffff_8880_07a0_c000;
    public const ulong GsBase0 = 0xffff_8880_3fc0_0000;
    public const ulong TssBase0 = 0xffff_fe00_0000_3000;

    /// <summary>Base of CPU <paramref name="cpu"/>'s AP bring-up by the BSP.</summary>
    public static long BringUpNs(int cpu) => 2_300_000 + (cpu - 1) * 11_000_000L;

    public static ulong Gdt(int cpu) => GdtBase0 + (ulong)cpu * 0x4_0000;

    public static ulong Gs(int cpu) => GsBase0 + (ulong)cpu * 0x4_0000;

    public static ulong Tss(int cpu) => TssBase0 + (ulong)cpu * 0x4_0000;

    public static ulong Ist(int cpu, int index) => 0xffff_fe00_0000_0000UL + (ulong)cpu * 0x10_0000 + (ulong)index * 0x1000;

    public static BootTrace Record(ulong seed = 42, TraceDetail detail = TraceDetail.Events)
    {
        var t = new BootTrace(new TraceMachine(Cpus, 128, "built-in", seed), detail);
        t.CpuStarted(0, 0, CpuRole.Bsp, 0, "reset");
        t.ModeChanged(0, "Real", "Protected32", 200_000, 0x11, 0, 0);
        t.ModeChanged(0, "Protected32", "Long64", 400_000, 0x8000_0011, 0x20, 0x500);
        var rsp = 0xffff_ffff_8200_3f58UL;
        t.FunctionEntered(0, "start_kernel", StartKernelNs, rsp);
        LoadTables(t, 0, 600_000);
        t.FunctionEntered(0, "rest_init", 2_000_000, rsp - 0x20);
        t.FunctionEntered(0, "kernel_init", 2_100_000, rsp - 0x40);
        t.FunctionEntered(0, "smp_init", 2_200_000, rsp - 0x60);
        for (var ap = 1; ap < Cpus; ap++)
        {
            var b = BringUpNs(ap);
            t.FunctionEntered(0, "do_boot_cpu", b, rsp - 0x80);
            t.FunctionEntered(0, "wakeup_secondary_cpu_via_init", b + 10_000, rsp - 0xa0);
            var init = t.IpiSent(0, ap, "INIT", 0, b + 20_000);
            t.CpuStarted(ap, ap, CpuRole.Ap, b + 20_500, "INIT");
            t.IpiReceived(ap, init, b + 20_500);
            t.InitAccepted(ap, b + 20_500);
            var sipi = t.IpiSent(0, ap, "SIPI", 0x9a, b + 10_020_000);
            var recv = b + 10_020_500;
            t.IpiReceived(ap, sipi, recv);
            t.SipiAccepted(ap, 0x9a, recv);
            t.FunctionReturned(0, "wakeup_secondary_cpu_via_init", b + 10_030_000);

            t.FunctionEntered(ap, "trampoline_start", recv + 1_000, 0);
            t.ModeChanged(ap, "Real", "Protected32", recv + 20_000, 0x11, 0, 0);
            t.ModeChanged(ap, "Protected32", "Long64", recv + 35_000, 0x8000_0011, 0x20, 0x500);
            t.FunctionReturned(ap, "trampoline_start", recv + 40_000);
            t.FunctionEntered(ap, "secondary_startup_64", recv + 40_000, 0xffff_c900_0000_3ff8UL);
            LoadTables(t, ap, recv + 60_000);
            t.FunctionReturned(ap, "secondary_startup_64", recv + 120_000);
            t.FunctionEntered(ap, "cpu_idle", recv + 150_000, 0xffff_c900_0000_3f00UL);
            t.Halted(ap, recv + 160_000);

            t.FunctionReturned(0, "do_boot_cpu", b + 10_100_000);
        }

        t.FunctionReturned(0, "smp_init", BringUpNs(Cpus) + 100_000);
        // A reschedule IPI to CPU1 while it idles, an NMI on CPU2 through IST 2 and its IRET.
        var fixedIpi = t.IpiSent(0, 1, "Fixed", 0xfd, 36_000_000);
        t.IpiReceived(1, fixedIpi, 36_000_400);
        t.EventDelivered(2, new EventDelivery(2, EventKind.Nmi, null, 2, 0xffff_ffff_8100_1234, 0xffff_ffff_81a0_0000,
            0xffff_c900_0000_3e00, Ist(2, 2) - 40, 1), 37_000_000);
        t.Iret(2, 0xffff_ffff_81a0_0100, 0xffff_ffff_8100_1234, 37_002_000);
        t.FunctionReturned(0, "kernel_init", 38_000_000);
        // rest_init and cpu_idle never return: they end with their CPU's span.
        for (var cpu = 0; cpu < Cpus; cpu++)
        {
            t.SetCpuAttributes(cpu, new Dictionary<string, object?> { ["gdt.limit"] = "0x7f", ["cpu.online"] = true });
        }

        t.End(EndNs, TimeSpan.FromMilliseconds(12.5));
        return t;
    }

    private static void LoadTables(BootTrace t, int cpu, long at)
    {
        t.DescriptorTableLoaded(cpu, DescriptorTable.Gdt, Gdt(cpu), 0x7f, 0, at);
        t.DescriptorTableLoaded(cpu, DescriptorTable.Idt, 0xffff_ffff_82a0_0000, 0xfff, 0, at + 1_000);
        var ist = Enumerable.Range(1, 7).Select(i => Ist(cpu, i)).ToArray();
        t.DescriptorTableLoaded(cpu, DescriptorTable.Tr, Tss(cpu), 0x4087, 0x40, at + 2_000, ist);
        t.MsrWritten(cpu, 0xC000_0101, Gs(cpu), at + 3_000);
        t.SwapGs(cpu, Gs(cpu), at + 4_000);
    }
}

using Smp.Devices.Platform.Actors;
using Smp.Host.Guest;
using Smp.Host.Telemetry;

namespace Smp.Host.Tests.Gdb;

/// <summary>
/// The remote serial protocol as gdb speaks it, packet by packet, against the built-in kernel on 2 CPUs: threads,
/// the target description, registers, virtual and physical memory, monitor commands (trace events paused until a
/// breakpoint), Ctrl-C, a breakpoint, an NMI sent by hand and caught by a watchpoint on the CPU's nmi_count, and a detach
/// that lets the boot finish.
/// </summary>
public sealed class GdbProtocolTests
{
    [Fact]
    public void A_session_reads_threads_registers_memory_and_tables_stops_on_ctrl_c_and_breakpoints_and_detaches()
    {
        var dir = Directory.CreateTempSubdirectory("smp-gdb-protocol-");
        string otlp = Path.Combine(dir.FullName, "trace.json");
        var (task, port, err, com1) = StubHost.Start(StubHost.Options(2, StubHost.WithStub(new TraceOptions(OtlpJsonPath: otlp))));
        using (var gdb = new RspClient(port))
        {
            string features = gdb.Request("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+");
            Assert.Contains("PacketSize=4000", features);
            Assert.Contains("qXfer:features:read+", features);
            Assert.Contains("swbreak+", features);
            Assert.Equal("OK", gdb.Request("QStartNoAckMode"));

            // Waiting at the reset vector: two threads, CPU 1 waits for its SIPI.
            Assert.Equal("T05thread:1;core:0;", gdb.Request("?"));
            Assert.Equal("m1,2", gdb.Request("qfThreadInfo"));
            Assert.Equal("l", gdb.Request("qsThreadInfo"));
            Assert.Equal("1", gdb.Request("qAttached"));
            Assert.Equal("QC1", gdb.Request("qC"));
            Assert.Equal("OK", gdb.Request("T2"));
            Assert.Equal("E01", gdb.Request("T3"));
            Assert.Equal("CPU 1 (APIC 1) Real, WaitForSipi", System.Text.Encoding.UTF8.GetString(Convert.FromHexString(gdb.Request("qThreadExtraInfo,2"))));
            string xml = gdb.Request("qXfer:features:read:target.xml:0,3fff");
            Assert.StartsWith("l<?xml", xml);
            Assert.Contains("<architecture>i386:x86-64</architecture>", xml);
            Assert.Contains("name=\"gs_base\"", xml);
            Assert.Equal("E00", gdb.Request("qXfer:features:read:other.xml:0,100"));

            // The reset state (SDM Vol. 3A §10.1.1): CS F000 with base FFFF0000, IP FFF0, EFLAGS 2. gdb's pc is the linear
            // address CS.base + IP, where its breakpoints and symbols are.
            Assert.Equal(0xFFFF_FFF0UL, gdb.Register("rip"));
            Assert.Equal(0xF000UL, gdb.Register("cs"));
            Assert.Equal(2UL, gdb.Register("eflags"));
            Assert.Equal(0x60000010UL, gdb.Register("cr0"));

            // The reset vector's bytes: virtual = physical here, and monitor xp shows the same.
            string reset = gdb.Request("mfffffff0,4");
            Assert.Matches("^[0-9a-f]{8}$", reset);
            Assert.Equal("0", gdb.Request("qqemu.PhyMemMode"));
            Assert.Equal("OK", gdb.Request("Qqemu.PhyMemMode:1"));
            Assert.Equal("1", gdb.Request("qqemu.PhyMemMode"));
            Assert.Equal(reset, gdb.Request("mfffffff0,4"));
            Assert.Equal($"00000000fffffff0: 0x{Convert.ToHexStringLower([.. Convert.FromHexString(reset).Reverse()])}\n", gdb.Monitor("xp /1w 0xfffffff0"));
            Assert.Equal("E14", gdb.Request("Mfffffff0,1:00"));   // ROM is not written
            string saved = gdb.Request("m600,4");
            Assert.Equal("OK", gdb.Request("M600,4:efbeadde"));
            Assert.Equal("0000000000000600: 0xdeadbeef\n", gdb.Monitor("xp 0x600"));
            Assert.Equal("OK", gdb.Request($"M600,4:{saved}"));
            Assert.Equal("OK", gdb.Request("Qqemu.PhyMemMode:0"));
            Assert.Equal("E22", gdb.Request("Qqemu.PhyMemMode:7"));

            // Monitor commands.
            string help = gdb.Monitor("help");
            foreach (string command in new[] { "info cpus", "info gdt|idt|tss", "xp", "nmi CPU", "trace on|off", "arch" }) Assert.Contains(command, help);
            Assert.Matches(@"CPU 1  APIC 1 +WaitForSipi +Real ", gdb.Monitor("info cpus"));
            Assert.Contains("(256 vectors 0000:0000 not shown)", gdb.Monitor("info idt"));
            Assert.Equal("'5' is not a CPU index (0..1)\n", gdb.Monitor("info gdt 5"));
            Assert.Equal("trace events are paused (spans go on)\n", gdb.Monitor("trace off"));   // until start_secondary
            Assert.StartsWith("unknown monitor command 'frobnicate'", gdb.Monitor("frobnicate"));

            // Ctrl-C while the BSP boots: SIGINT, the machine stops where it is.
            gdb.Send("vCont;c");
            gdb.Interrupt();
            Assert.Matches("^T02thread:[12];core:[01];$", gdb.ReadReply());

            // A software breakpoint on start_secondary: CPU 1 stops there with its per-CPU area in gs_base.
            Assert.Equal("OK", gdb.Request($"Z0,{StubHost.Symbol("start_secondary"):x},1"));
            Assert.Equal("T05thread:2;core:1;swbreak:;", gdb.Request("vCont;c"));
            Assert.Equal("QC2", gdb.Request("qC"));
            Assert.Equal(StubHost.Symbol("start_secondary"), gdb.Register("rip"));
            Assert.Equal(KernelLayout.PerCpuArea(1), gdb.Register("gs_base"));
            Assert.Equal("OK", gdb.Request($"z0,{StubHost.Symbol("start_secondary"):x},1"));
            Assert.Equal("trace events are recorded\n", gdb.Monitor("trace on"));
            Assert.Contains($"GDTR base=0x{KernelLayout.GdtPages + KernelLayout.GdtPageStride:x} limit=0x{KernelLayout.GdtLimit:x}", gdb.Monitor("info gdt"));
            Assert.Contains("code64", gdb.Monitor("info gdt 1"));
            Assert.Contains($"base=0x{KernelLayout.Tss:x}", gdb.Monitor("info tss 0"));
            Assert.Matches(@"\n  0x02  interrupt 0010:[0-9a-f]+  DPL0 IST2\n", gdb.Monitor("info idt 0"));   // NMI on its own stack

            // An NMI sent by hand goes through the APIC bus to CPU 0, whose handler counts it: a write watchpoint on
            // CPU 0's nmi_count catches the increment.
            ulong nmiCount = KernelImage.NmiCountAddress(0);
            Assert.Equal("0000000000000000", gdb.Request($"m{nmiCount:x},8"));
            Assert.StartsWith("NMI sent to CPU 0 (APIC 0) through the APIC bus", gdb.Monitor("nmi 0"));
            Assert.Equal("OK", gdb.Request($"Z2,{nmiCount:x},8"));
            Assert.Equal($"T05thread:1;core:0;watch:{nmiCount:x};", gdb.Request("vCont;c"));
            Assert.Equal("0100000000000000", gdb.Request($"m{nmiCount:x},8"));

            // Detach: the breakpoints go and the boot runs to its end.
            Assert.Equal("OK", gdb.Request("D"));
        }

        var result = task.GetAwaiter().GetResult();
        string trace = File.ReadAllText(otlp);
        dir.Delete(recursive: true);
        Assert.Equal(StopReason.AllIdle, result.Machine.Reason);
        Assert.DoesNotContain("\"sipi.accepted\"", trace);   // CPU 1 accepted its SIPI while events were paused
        Assert.Contains("\"hlt\"", trace);                   // both CPUs halted at the end, with events recorded
        Assert.Contains("Brought up 1 node, 2 CPUs", com1.ToString());
        Assert.DoesNotContain("internal error", err.Text);
    }
}

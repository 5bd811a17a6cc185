using Smp.Devices.Cpu;
using Smp.Host.Stress;

namespace Smp.Host.Tests.Stress;

public class OopsTests
{
    [Fact]
    public void Clobber_oops_has_the_bug_line_code_bytes_disassembly_registers_and_an_nmi_trace()
    {
        var (rig, monitor) = IstMonitorTests.NaiveNmiWithInt3();
        using var _ = rig;
        var symbols = new SymbolTable([
            new SymbolInfo("idle_loop", StressRig.CodeBase, 0x10),
            new SymbolInfo("asm_exc_nmi", StressRig.HandlerAt(Vector.NMI), 0x100),
            new SymbolInfo("asm_exc_int3", StressRig.HandlerAt(Vector.BP), 0x100),
        ]);
        StackRegion[] stacks = [new("NMI", IstMonitorTests.NmiStackTop - 0x1000, IstMonitorTests.NmiStackTop), new("TASK", 0x1F_C000, StressRig.StackTop)];
        string? oops = null;
        monitor.Detected += (cpu, v) =>
        {
            var context = OopsContext.Interrupted(cpu, new GuestMemoryView(cpu), cpu.R[Reg.RSP], errorCode: false);
            oops = Oops.Write(cpu, v, context, symbols, stacks, monitor.LiveFrames(cpu.ApicId).Select(f => f.RipSlot));
        };
        rig.Cpu.R[Reg.RBX] = 0x1122_3344_5566_7788;
        rig.Run(3);
        rig.Cpu.InjectNmi();
        rig.Run(1);
        rig.Cpu.InjectNmi();
        rig.Run(20);

        Assert.NotNull(oops);
        var lines = oops.Split('\n');
        Assert.Equal("BUG: IST stack clobbered: NMI on IST2 over live NMI frame", lines[0]);
        Assert.Equal("CPU: 0 PID: 0 Comm: swapper/0", lines[1]);
        Assert.Equal("RIP: 0010:asm_exc_nmi+0x1/0x100", lines[2]);
        // 42 bytes before RIP (zeroes and the INT3), the NOP at RIP in <>, then HLT.
        Assert.StartsWith("Code: 00 00", lines[3]);
        Assert.Contains(" cc <90> f4 ", lines[3]);
        Assert.Equal(1 + 42 + 1 + 21, lines[3].Split(' ').Length);
        Assert.Contains(lines, l => l.Contains($"{StressRig.HandlerAt(Vector.NMI) + 1:x16}:") && l.Contains("nop") && l.EndsWith("<-- trapping instruction"));
        Assert.Contains(lines, l => l.Contains("int3") && l.Contains($"{StressRig.HandlerAt(Vector.NMI):x16}:"));
        Assert.Contains(lines, l => l.Contains("hlt"));
        Assert.Contains($"RSP: 0018:{IstMonitorTests.NmiStackTop - 40:x16} EFLAGS: 00000", oops);
        Assert.Contains("RAX: 0000000000000000 RBX: 1122334455667788 RCX: 0000000000000000\n", oops);
        Assert.Contains("R13: 0000000000000000 R14: 0000000000000000 R15: 0000000000000000\n", oops);
        Assert.Contains("CR0: 0000000080000011\n", oops);
        Assert.Contains("CR3: 0000000000080000", oops);
        int trace = Array.IndexOf(lines, "Call Trace:");
        Assert.True(trace > 0);
        Assert.Equal(" <NMI>", lines[trace + 1]);
        // The RIP slot of the live (clobbering) NMI frame is reliable; the stale #BP frame's RIP is not.
        Assert.Equal(" asm_exc_nmi+0x1/0x100", lines[trace + 2]);
        Assert.Equal(" </NMI>", lines[trace + 3]);
    }
}

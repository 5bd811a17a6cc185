using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using Smp.Host.Telemetry;

namespace Smp.Host.Tests.Telemetry;

public sealed class TraceCpuObserverTests
{
    [Fact]
    public void CPU_facts_become_events_and_final_attributes()
    {
        var trace = new BootTrace(new TraceMachine(2, 2, "observer", 3));
        var now = 1_000L;
        var tss = new Dictionary<ulong, ulong>();
        for (var i = 0; i < 7; i++)
        {
            tss[0x5000 + TraceCpuObserver.Ist1Offset + (ulong)(8 * i)] = 0x9000UL + (ulong)i * 0x1000;
        }

        var observer = new TraceCpuObserver(trace, () => now, readQword: (_, address) => tss.TryGetValue(address, out var v) ? v : null);
        var ap = new CpuCore(new PhysicalMemory(2 << 20), apicId: 1, isBsp: false) { Cr0 = 0x8000_0011, Cr4 = 0x20, Efer = 0x500 };

        observer.ModeChanged(ap, CpuMode.Protected32, CpuMode.Long64);
        now = 2_000;
        observer.DescriptorTableLoaded(ap, DescriptorTable.Tr, 0x5000, 0x67, 0x40);
        observer.MsrWritten(ap, 0xC000_0101, 0xffff_8880_3fd0_0000);
        observer.Iret(ap, 1, 2); // below the default detail
        observer.Halted(ap);
        trace.End(5_000, TimeSpan.Zero);

        var span = trace.CpuSpan(1)!;
        Assert.Equal(1_000, span.StartNs);
        Assert.Equal(["mode.change", "ltr", "wrmsr", "hlt"], span.Events.Select(e => e.Name));
        var mode = span.Events[0].Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("Long64", mode["mode.to"]);
        Assert.Equal("0x80000011", mode["cr0"]);
        Assert.Equal("0x500", mode["efer"]);
        Assert.Equal("0x5000", span.Attribute("tss.base"));
        Assert.Equal("0x9000", span.Attribute("ist.1"));
        Assert.Equal("0xf000", span.Attribute("ist.7"));
        Assert.Equal("0xffff88803fd00000", span.Attribute("gs.base"));
        Assert.Equal(2_000, span.Events[^1].TimeNs);
    }
}

using Smp.Devices.Cpu;
using Smp.Host.Telemetry;

namespace Smp.Host.Tests.Telemetry;

public sealed class BootTraceTests
{
    private static BootTrace New(TraceDetail detail = TraceDetail.Events) => new(new TraceMachine(2, 64, "test", 1), detail);

    [Fact]
    public void Detail_bounds_the_volume()
    {
        var phases = SyntheticBoot.Record(detail: TraceDetail.Phases);
        var events = SyntheticBoot.Record(detail: TraceDetail.Events);
        var all = SyntheticBoot.Record(detail: TraceDetail.All);

        Assert.Empty(phases.Spans.SelectMany(s => s.Events));
        Assert.Equal(events.Spans.Count, phases.Spans.Count);
        // Links and final attributes stay at every level.
        Assert.Equal(14, phases.Spans.Sum(s => s.Links.Count));
        Assert.Equal(TraceAttribute.Hex(SyntheticBoot.Gs(3)), phases.CpuSpan(3)!.Attribute("gs.base"));

        var eventNames = events.Spans.SelectMany(s => s.Events).Select(e => e.Name).ToList();
        Assert.DoesNotContain("iret", eventNames);
        Assert.Contains("nmi", eventNames);
        var allNames = all.Spans.SelectMany(s => s.Events).Select(e => e.Name).ToList();
        Assert.Single(allNames, n => n == "iret");
        Assert.Equal(eventNames.Count + 1, allNames.Count);
    }

    [Fact]
    public void Events_go_to_the_innermost_open_span()
    {
        var trace = SyntheticBoot.Record();
        var nmi = trace.Spans.SelectMany(s => s.Events.Select(e => (Span: s, Event: e))).Single(x => x.Event.Name == "nmi");
        Assert.Equal("cpu_idle", nmi.Span.Name);
        Assert.Equal(2, nmi.Span.Cpu);
        var attributes = nmi.Event.Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(2L, attributes["vector"]);
        Assert.Equal(2L, attributes["ist"]);
        Assert.Equal(1L, attributes["depth"]);
        Assert.Equal("none", attributes["error_code"]);
        Assert.Equal(TraceAttribute.Hex(SyntheticBoot.Ist(2, 2) - 40), attributes["rsp.after"]);
        Assert.Equal("0xffffc90000003e00", attributes["rsp.before"]);
    }

    [Fact]
    public void A_return_closes_the_matching_span_and_those_left_open_inside_it()
    {
        var trace = New();
        trace.CpuStarted(0, 0, CpuRole.Bsp, 0);
        var outer = trace.FunctionEntered(0, "outer", 10, 0x8000);
        var middle = trace.FunctionEntered(0, "middle", 20, 0x7f00);
        var inner = trace.FunctionEntered(0, "inner", 30, 0x7e00);
        Assert.Equal(2, inner.Depth);
        Assert.Same(middle, inner.Parent);

        trace.FunctionReturned(0, "middle", 50);
        Assert.False(middle.IsOpen);
        Assert.False(inner.IsOpen);
        Assert.Equal(50, inner.EndNs);
        Assert.True(outer.IsOpen);
        Assert.Same(outer, trace.CurrentSpan(0));

        trace.FunctionReturned(0, "never_entered", 60);
        Assert.Equal(1, trace.UnmatchedReturns);
        Assert.True(outer.IsOpen);

        trace.End(100, TimeSpan.Zero);
        Assert.Equal(100, outer.EndNs);
        Assert.Equal(100, trace.CpuSpan(0)!.EndNs);
    }

    [Fact]
    public void StackUnwound_closes_the_frames_below_the_new_stack_pointer()
    {
        var trace = New();
        var a = trace.FunctionEntered(1, "a", 10, 0x8000);
        var b = trace.FunctionEntered(1, "b", 20, 0x7f00);
        trace.StackUnwound(1, 0x7f08, 30); // RET from b: RSP = b's entry RSP + 8.
        Assert.False(b.IsOpen);
        Assert.Equal(30, b.EndNs);
        Assert.True(a.IsOpen);
        // A CPU seen first in a function call starts implicitly, as an AP.
        Assert.Equal("AP", trace.CpuSpan(1)!.Attribute("cpu.role"));
        Assert.Equal(10, trace.CpuSpan(1)!.StartNs);
    }

    [Fact]
    public void An_IPI_that_is_never_received_has_no_links_and_a_second_receipt_is_ignored()
    {
        var trace = New();
        trace.CpuStarted(0, 0, CpuRole.Bsp, 0);
        var lost = trace.IpiSent(0, 1, "NMI", 2, 5);
        var ok = trace.IpiSent(0, 1, "Fixed", 0x30, 6);
        Assert.NotEqual(lost, ok);
        trace.IpiReceived(1, ok, 8);
        trace.IpiReceived(1, ok, 9);
        trace.End(10, TimeSpan.Zero);

        Assert.Null(trace.Ipis[0].ReceivedNs);
        Assert.Equal(8, trace.Ipis[1].ReceivedNs);
        Assert.Single(trace.CpuSpan(0)!.Links);
        Assert.Single(trace.CpuSpan(1)!.Links);
        Assert.Single(trace.CpuSpan(1)!.Events, e => e.Name == "ipi.received");
    }

    [Fact]
    public void Each_cpu_keeps_the_first_events_of_each_name_up_to_the_limit_and_counts_the_rest()
    {
        var trace = new BootTrace(new TraceMachine(2, 64, "test", 1)) { EventLimit = 3 };
        trace.CpuStarted(0, 0, CpuRole.Bsp, 0);
        for (int i = 0; i < 5; i++) trace.Halted(0, 10 + i);
        trace.Halted(1, 20);
        trace.ModeChanged(0, "real", "protected", 30, 0x11, 0, 0);
        long kept = trace.IpiSent(0, 1, "Fixed", 0x30, 40);
        trace.IpiSent(0, 1, "Fixed", 0x30, 41);
        trace.IpiSent(0, 1, "Fixed", 0x30, 42);
        long dropped = trace.IpiSent(0, 1, "Fixed", 0x30, 43);
        trace.IpiReceived(1, dropped, 44);
        trace.End(50, TimeSpan.Zero);

        Assert.Equal(3, trace.CpuSpan(0)!.Events.Count(e => e.Name == "hlt"));
        Assert.Single(trace.CpuSpan(1)!.Events, e => e.Name == "hlt");
        Assert.Single(trace.CpuSpan(0)!.Events, e => e.Name == "mode.change");
        Assert.NotEqual(0, kept);
        Assert.Equal(0, dropped);
        Assert.Equal(3, trace.Ipis.Count);
        Assert.DoesNotContain(trace.CpuSpan(1)!.Events, e => e.Name == "ipi.received");
        Assert.Equal(3, trace.DroppedEvents); // two halts, one IPI
        Assert.Equal(3L, trace.CpuSpan(0)!.Attribute("cpu.events_dropped"));
        Assert.Null(trace.CpuSpan(1)!.Attribute("cpu.events_dropped"));
        Assert.Equal(3L, trace.Root.Attribute("trace.events_dropped"));
    }

    [Fact]
    public void Ids_derive_from_the_seed_and_never_from_the_clock()
    {
        var a = New();
        var b = New();
        Assert.Equal(a.TraceIdHex, b.TraceIdHex);
        Assert.Equal(a.Root.SpanIdHex, b.Root.SpanIdHex);
        Assert.Equal(a.CpuStarted(0, 0, CpuRole.Bsp, 0).SpanId, b.CpuStarted(0, 0, CpuRole.Bsp, 0).SpanId);
        Assert.NotEqual(0UL, a.Root.SpanId);
        Assert.NotEqual(a.Root.SpanId, a.CpuSpan(0)!.SpanId);
    }

    [Fact]
    public void Attribute_values_are_normalized_for_OTLP()
    {
        Assert.Equal(5L, TraceAttribute.Normalize(5));
        Assert.Equal(7L, TraceAttribute.Normalize((ushort)7));
        Assert.Equal("0xffffffff81000000", TraceAttribute.Normalize(0xffff_ffff_8100_0000UL));
        Assert.Equal(12L, TraceAttribute.Normalize(12UL));
        Assert.Equal("Nmi", TraceAttribute.Normalize(EventKind.Nmi));
        Assert.Equal(true, TraceAttribute.Normalize(true));
    }
}

using System.Text.Json;
using Smp.Host.Telemetry;

namespace Smp.Host.Tests.Telemetry;

public sealed class ChromeTraceTests
{
    private static List<JsonElement> Events(BootTrace trace)
    {
        var doc = JsonDocument.Parse(ChromeTraceExporter.ToUtf8(trace));
        return [.. doc.RootElement.GetProperty("traceEvents").EnumerateArray()];
    }

    private static string Ph(JsonElement e) => e.GetProperty("ph").GetString()!;

    [Fact]
    public void One_named_thread_per_CPU_in_one_process()
    {
        var events = Events(SyntheticBoot.Record());

        Assert.All(events, e => Assert.Equal(1, e.GetProperty("pid").GetInt32()));
        var names = events.Where(e => Ph(e) == "M" && e.GetProperty("name").GetString() == "thread_name")
            .ToDictionary(e => e.GetProperty("tid").GetInt32(), e => e.GetProperty("args").GetProperty("name").GetString());
        Assert.Equal(new Dictionary<int, string?> { [0] = "CPU0 (BSP)", [1] = "CPU1 (AP)", [2] = "CPU2 (AP)", [3] = "CPU3 (AP)" }, names);
        Assert.Equal([0, 1, 2, 3], events.Where(e => Ph(e) == "X").Select(e => e.GetProperty("tid").GetInt32()).Distinct().Order());
    }

    [Fact]
    public void Spans_are_complete_events_in_microseconds()
    {
        var events = Events(SyntheticBoot.Record());
        var complete = events.Where(e => Ph(e) == "X").ToList();
        Assert.Equal(4 + 4 + 6 + 9, complete.Count);

        var startKernel = complete.Single(e => e.GetProperty("name").GetString() == "start_kernel");
        Assert.Equal(500.0, startKernel.GetProperty("ts").GetDouble());
        Assert.Equal((SyntheticBoot.EndNs - SyntheticBoot.StartKernelNs) / 1000.0, startKernel.GetProperty("dur").GetDouble());
        Assert.Equal(0, startKernel.GetProperty("tid").GetInt32());
        var trampoline = complete.First(e => e.GetProperty("name").GetString() == "trampoline_start");
        Assert.Equal(1, trampoline.GetProperty("tid").GetInt32());
        Assert.Equal(39.0, trampoline.GetProperty("dur").GetDouble());

        var instants = events.Where(e => Ph(e) == "i").ToList();
        Assert.Contains(instants, e => e.GetProperty("name").GetString() == "sipi.accepted" && e.GetProperty("tid").GetInt32() == 3);
        Assert.All(instants, e => Assert.Equal("t", e.GetProperty("s").GetString()));
        var gdt = instants.First(e => e.GetProperty("name").GetString() == "lgdt" && e.GetProperty("tid").GetInt32() == 2);
        Assert.Equal(TraceAttribute.Hex(SyntheticBoot.Gdt(2)), gdt.GetProperty("args").GetProperty("table.base").GetString());
    }

    [Fact]
    public void IPIs_are_flows_from_the_sender_thread_to_the_receiver_thread()
    {
        var events = Events(SyntheticBoot.Record());
        var starts = events.Where(e => Ph(e) == "s").ToList();
        var finishes = events.Where(e => Ph(e) == "f").ToList();
        Assert.Equal(7, starts.Count);
        Assert.Equal(7, finishes.Count);

        foreach (var s in starts)
        {
            var f = finishes.Single(x => x.GetProperty("id").GetInt64() == s.GetProperty("id").GetInt64());
            Assert.Equal(0, s.GetProperty("tid").GetInt32());
            Assert.True(f.GetProperty("ts").GetDouble() > s.GetProperty("ts").GetDouble());
            Assert.Equal("e", f.GetProperty("bp").GetString());
            Assert.Equal(s.GetProperty("name").GetString(), f.GetProperty("name").GetString());
        }

        Assert.Equal([1, 1, 1, 2, 2, 3, 3], finishes.Select(f => f.GetProperty("tid").GetInt32()).Order());
        Assert.Equal(3, starts.Count(s => s.GetProperty("name").GetString() == "IPI SIPI"));
    }
}

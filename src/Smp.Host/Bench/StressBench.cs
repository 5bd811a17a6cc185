using System.Diagnostics;
using System.Globalization;
using Smp.Host.Guest;
using Smp.Host.Stress;

namespace Smp.Host.Bench;

/// <summary>
/// <c>smp bench stress</c>: stress scenarios per second on short scenarios — the Linux handlers on
/// 2 CPUs, every scenario kind (<c>all</c>), one boot and snapshot, then rounds of seeds each restored
/// from the snapshot. The boot is not timed. The last line is <c>scenarios_per_sec: N</c> (best round).
/// </summary>
internal static class StressBench
{
    private const int Rounds = 3;
    private const int SeedsPerRound = 3000;

    /// <summary>Runs the benchmark and prints one line per round and the final <c>scenarios_per_sec:</c> line.</summary>
    public static int Run(TextWriter output)
    {
        var boot = Stopwatch.StartNew();
        using var campaign = new StressCampaign(HandlerVariant.Linux, 2);
        boot.Stop();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"boot + snapshot: {boot.Elapsed.TotalMilliseconds:F0} ms (linux handlers, 2 CPUs)"));
        ulong seed = 1;
        for (int i = 0; i < 500; i++) campaign.Run(seed++, "all"); // JIT tiering settles here
        double best = 0;
        for (int round = 1; round <= Rounds; round++)
        {
            long instructions = 0, pages = 0;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < SeedsPerRound; i++)
            {
                var r = campaign.Run(seed++, "all");
                instructions += r.Instructions;
                pages += campaign.LastRestoredPages;
            }
            sw.Stop();
            double rate = SeedsPerRound / sw.Elapsed.TotalSeconds;
            best = Math.Max(best, rate);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: {SeedsPerRound} scenarios in {sw.Elapsed.TotalMilliseconds:F0} ms, {rate:F0}/s, " +
                $"{instructions / SeedsPerRound} instructions and {(double)pages / SeedsPerRound:F1} restored pages per scenario"));
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scenarios_per_sec: {best:F0}"));
        return ExitCodes.Ok;
    }
}

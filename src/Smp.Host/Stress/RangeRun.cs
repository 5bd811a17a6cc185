namespace Smp.Host.Stress;

/// <summary>Runs the seeds of one range on a booted campaign machine and turns them into a journal record.</summary>
internal static class RangeRun
{
    /// <summary>
    /// Runs <paramref name="span"/>'s seeds in order until all ran or <paramref name="stop"/> is set (checked between
    /// seeds, so a stop takes effect within one scenario: a few milliseconds).
    /// </summary>
    /// <param name="campaign">The booted machine.</param>
    /// <param name="scenario">A scenario name or <c>all</c>.</param>
    /// <param name="span">The seeds.</param>
    /// <param name="stop">Stops the range early.</param>
    /// <param name="seedDone">Told after each seed (progress), or null.</param>
    /// <returns>How many seeds ran (a prefix of the span) and their record, null when none ran.</returns>
    public static (ulong Count, byte[]? Record) Run(StressCampaign campaign, string scenario, SeedSpan span, CancellationToken stop,
        Action<SeedResult>? seedDone = null)
    {
        var outcome = new RangeOutcome();
        ulong count = 0;
        for (; count < span.Count && !stop.IsCancellationRequested; count++)
        {
            var r = campaign.Run(span.Seed(count), scenario);
            outcome.Add(r);
            seedDone?.Invoke(r);
        }
        return (count, count == 0 ? null : outcome.ToRecord(span.Slice(0, count)));
    }
}

using Smp.Host.Guest;

namespace Smp.Host.Stress;

/// <summary>What a campaign runs: handlers, CPUs, scenario, seed range and shard.</summary>
/// <param name="Handlers">The guest handler variant.</param>
/// <param name="Cpus">Logical CPUs.</param>
/// <param name="Scenario">A scenario name or <c>all</c>.</param>
/// <param name="First">First seed of the campaign's range.</param>
/// <param name="Last">Last seed (inclusive).</param>
/// <param name="ShardIndex">This shard, 1..ShardCount.</param>
/// <param name="ShardCount">Shards the range is split into.</param>
internal sealed record StressCampaignSpec(HandlerVariant Handlers, int Cpus, string Scenario, ulong First, ulong Last, int ShardIndex = 1, int ShardCount = 1)
{
    /// <summary>The handler variant as written on the command line.</summary>
    public string HandlersName => Handlers == HandlerVariant.Linux ? "linux" : "naive";

    /// <summary>
    /// The seeds of this shard: the range striped over the shards, seed <c>First + k</c> belonging to
    /// shard <c>k mod n + 1</c>, so every shard gets a similar scenario mix and the shards partition the range.
    /// </summary>
    public IEnumerable<ulong> Seeds()
    {
        ulong step = (ulong)ShardCount;
        for (ulong s = First + (ulong)(ShardIndex - 1); s <= Last && s >= First; s += step)
        {
            yield return s;
            if (ulong.MaxValue - s < step) yield break;
        }
    }

    /// <summary>The number of seeds in this shard.</summary>
    public ulong SeedCount
    {
        get
        {
            ulong offset = (ulong)(ShardIndex - 1);
            if (Last - First < offset) return 0;
            return (Last - First - offset) / (ulong)ShardCount + 1;
        }
    }
}

/// <summary>Runs a campaign: one boot, then every seed of the shard from the snapshot.</summary>
internal static class StressRun
{
    /// <summary>Runs <paramref name="spec"/>; <paramref name="progress"/> is told (done, total, violations so far) after each seed.</summary>
    public static IReadOnlyList<SeedResult> Run(StressCampaignSpec spec, Action<ulong, ulong, long>? progress = null)
    {
        using var campaign = new StressCampaign(spec.Handlers, spec.Cpus);
        var results = new List<SeedResult>();
        ulong total = spec.SeedCount, done = 0;
        long violations = 0;
        foreach (ulong seed in spec.Seeds())
        {
            var r = campaign.Run(seed, spec.Scenario);
            results.Add(r);
            violations += r.Violations.Count;
            progress?.Invoke(++done, total, violations);
        }
        return results;
    }
}

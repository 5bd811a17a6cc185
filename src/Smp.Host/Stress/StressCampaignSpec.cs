using System.Globalization;
using System.Text.Json;
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

    /// <summary>The shard as written on the command line (<c>i/n</c>).</summary>
    public string ShardName => string.Create(CultureInfo.InvariantCulture, $"{ShardIndex}/{ShardCount}");

    /// <summary>
    /// The seeds of this shard: the range striped over the shards, seed <c>First + k</c> belonging to shard
    /// <c>k mod n + 1</c>, so every shard gets a similar scenario mix and the shards partition the range. Null when
    /// the shard is empty (fewer seeds than shards).
    /// </summary>
    public SeedSpan? Target
    {
        get
        {
            ulong offset = (ulong)(ShardIndex - 1), step = (ulong)ShardCount;
            if (Last - First < offset) return null;
            ulong first = First + offset;
            return new SeedSpan(first, first + (Last - first) / step * step, step);
        }
    }

    /// <summary>The number of seeds in this shard.</summary>
    public ulong SeedCount => Target?.Count ?? 0;

    /// <summary>The seeds of this shard, in order.</summary>
    public IEnumerable<ulong> Seeds()
    {
        if (Target is not { } t) yield break;
        for (ulong i = 0; i < t.Count; i++) yield return t.Seed(i);
    }

    /// <summary>Writes the campaign object of reports and journals: handlers, cpus, scenario, first, last, shards.</summary>
    public void WriteJson(Utf8JsonWriter w) => WriteCampaign(w, HandlersName, Cpus, Scenario, First, Last, [ShardName]);

    /// <summary>Writes a campaign object.</summary>
    public static void WriteCampaign(Utf8JsonWriter w, string handlers, int cpus, string scenario, ulong first, ulong last, IEnumerable<string> shards)
    {
        w.WriteStartObject();
        w.WriteString("handlers", handlers);
        w.WriteNumber("cpus", cpus);
        w.WriteString("scenario", scenario);
        w.WriteNumber("first", first);
        w.WriteNumber("last", last);
        w.WriteStartArray("shards");
        foreach (var s in shards) w.WriteStringValue(s);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The campaign of a report or journal that lists exactly one shard (the report of one run).</summary>
    /// <exception cref="FormatException">The object is malformed, or it lists several shards (a merge).</exception>
    public static StressCampaignSpec ReadJson(JsonElement c)
    {
        try
        {
            string handlers = c.GetProperty("handlers").GetString()!;
            var shards = c.GetProperty("shards").EnumerateArray().Select(s => s.GetString()!).ToList();
            if (shards.Count != 1)
                throw new FormatException($"it merges {shards.Count} shards; resume each shard's own report");
            var parts = shards[0].Split('/');
            if (handlers is not ("linux" or "naive") || parts.Length != 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || index < 1 || index > count)
                throw new FormatException("its campaign names unknown handlers or a malformed shard");
            ulong first = c.GetProperty("first").GetUInt64(), last = c.GetProperty("last").GetUInt64();
            if (last < first) throw new FormatException("its campaign's last seed is below its first");
            string scenario = c.GetProperty("scenario").GetString()!;
            if (!StressScenarios.IsKnown(scenario))
                throw new FormatException($"its campaign names an unknown scenario '{scenario}'");
            int cpus = c.GetProperty("cpus").GetInt32();
            if (cpus is < 1 or > KernelLayout.MaxCpus) throw new FormatException($"its campaign has {cpus} CPUs");
            return new StressCampaignSpec(handlers == "naive" ? HandlerVariant.Naive : HandlerVariant.Linux, cpus, scenario, first, last, index, count);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("its campaign is incomplete", ex);
        }
    }
}

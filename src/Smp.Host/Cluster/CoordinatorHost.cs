using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Smp.Host.Stress;

namespace Smp.Host.Cluster;

/// <summary>What the coordinator actor shares with the process that runs it: the report, the progress and log, the outcome.</summary>
/// <param name="report">The campaign's report.</param>
/// <param name="progress">Told (seeds done, violations, workers) as results come in.</param>
/// <param name="write">Writes one line about the cluster (joins, losses, re-queued ranges) on stderr.</param>
internal sealed class CoordinatorHost(StressReport report, Action<ulong, long, int> progress, Action<string> write)
{
    private readonly TaskCompletionSource<bool> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<IActorRef> _actor = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>The campaign's report.</summary>
    public StressReport Report { get; } = report;

    /// <summary>This run's campaign id.</summary>
    public string CampaignId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The campaign object, as JSON, for the workers.</summary>
    public string SpecJson { get; } = SpecText(report.Spec!);

    /// <summary>Completes with true when every seed ran, false when the campaign was stopped.</summary>
    public Task<bool> Outcome => _outcome.Task;

    /// <summary>The coordinator actor, once it has started.</summary>
    public Task<IActorRef> Actor => _actor.Task;

    /// <summary>Time since the coordinator process started its campaign.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Reports progress.</summary>
    public void Progress(ulong done, long violations, int workers) => progress(done, violations, workers);

    /// <summary>Writes one line, stamped with the campaign's elapsed time.</summary>
    public void Log(string line) => write(string.Create(CultureInfo.InvariantCulture, $"smp stress: [{_clock.Elapsed.TotalSeconds,7:F2} s] {line}"));

    internal void Attach(IActorRef actor) => _actor.TrySetResult(actor);

    internal void Complete(bool complete) => _outcome.TrySetResult(complete);

    private static string SpecText(StressCampaignSpec spec)
    {
        var buffer = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer)) spec.WriteJson(w);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}

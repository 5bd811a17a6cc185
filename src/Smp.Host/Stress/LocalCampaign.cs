namespace Smp.Host.Stress;

/// <summary>
/// A campaign in one process: <c>threads</c> runners, each with its own booted machine, pull ranges from a
/// <see cref="WorkBook"/> and hand each range's record to the <see cref="StressReport"/> as it completes. A stop
/// (SIGINT, SIGTERM) ends every runner after its current seed; the seeds it ran still count, so nothing completed is lost.
/// </summary>
internal static class LocalCampaign
{
    /// <summary>Runs what remains of <paramref name="report"/>'s campaign.</summary>
    /// <param name="report">The campaign's report (fresh or resumed).</param>
    /// <param name="threads">Runners (threads, each booting its own machine).</param>
    /// <param name="stop">Ends the campaign early.</param>
    /// <param name="progress">Told (seeds done, violations found) after each seed, from the runners' threads (one at a time).</param>
    /// <returns>True when every seed ran; false when the campaign was stopped first.</returns>
    public static bool Run(StressReport report, int threads, CancellationToken stop, Action<ulong, long>? progress = null)
    {
        var spec = report.Spec ?? throw new InvalidOperationException("a merge is not a campaign to run");
        var book = new WorkBook(spec.Target, report.Remaining()) { Runners = threads };
        if (book.Finished) return true;
        var gate = new Lock();
        ulong done = book.Done;
        long violations = report.ViolationCount;
        Exception? failure = null;

        void Runner(int slot)
        {
            try
            {
                using var campaign = new StressCampaign(spec.Handlers, spec.Cpus);
                while (!stop.IsCancellationRequested)
                {
                    WorkBook.Lease? lease;
                    lock (gate) lease = failure is null ? book.Next("local", slot, backups: false) : null;
                    if (lease is null) return;
                    var (count, record) = RangeRun.Run(campaign, spec.Scenario, book.SpanOf(lease), stop, r =>
                    {
                        lock (gate)
                        {
                            done++;
                            violations += r.Violations.Count;
                            progress?.Invoke(done, violations);
                        }
                    });
                    bool accepted = record is not null && report.Accept(record);
                    lock (gate) book.Finish(lease.Id, count, accepted);
                }
            }
            catch (Exception ex)
            {
                lock (gate) failure ??= ex;
            }
        }

        if (threads == 1)
        {
            Runner(0);
        }
        else
        {
            var runners = Enumerable.Range(0, threads).Select(i => new Thread(() => Runner(i)) { Name = $"stress-{i}", IsBackground = true }).ToList();
            foreach (var t in runners) t.Start();
            foreach (var t in runners) t.Join();
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return book.Finished;
    }
}

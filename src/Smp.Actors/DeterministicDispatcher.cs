namespace Smp.Actors;

/// <summary>
/// The default dispatcher: one host thread delivers every message in global
/// (time, sender, sequence) order. Runs are bit-for-bit reproducible, including actors that
/// share memory outside messages (as CPUs share RAM).
/// </summary>
public sealed class DeterministicDispatcher : Dispatcher
{
    /// <inheritdoc />
    public override string Name => "deterministic";

    internal override void RunWindow(long windowEnd)
    {
        var system = System;
        var queue = system.Queue;
        while (queue.Count > 0 && queue.Peek().Due < windowEnd)
        {
            var envelope = queue.Pop();
            system.SetNow(envelope.Due);
            var outcome = envelope.Target.Deliver(ref envelope);
            system.Emit(ref envelope, outcome);
            if (system.Failure is not null)
            {
                return;
            }
        }
    }
}

namespace Smp.Actors.Internal;

// Continuing into the next quantum inside one delivery (a CPU that runs alone): what the delivery loop would do for a
// self-sent message that comes next with nothing else in its quantum, done without the Akka round trip.
internal sealed partial class Conductor
{
    /// <summary>
    /// In deterministic mode, when <paramref name="cell"/>'s handler would send <paramref name="message"/> to itself now
    /// and that envelope would be the only one delivered in its quantum, delivers it at once: the delivery in hand is
    /// reported, the quantum ends as it would (counted, every between-quanta check passing), and the new envelope takes
    /// the batch slot with its due time as the cell's and the conductor's time. Returns false, changing nothing, when
    /// anything could come first or differ: another envelope due before the next quantum ends, a send already in the
    /// outbox, the run's limit, a stop, pause, lifecycle change, failure, condition or fault injection, parallel mode.
    /// </summary>
    public bool TryContinue(SimCell cell, object message)
    {
        if (!MayContinue(cell, out var run))
        {
            return false;
        }

        // The due time SimCell.Send would stamp on the self-send, and the quantum it would open.
        long due = Math.Max(cell.LocalNow + DefaultLatency, QuantumEnd);
        if (due >= run.Limit)
        {
            return false;
        }

        long quantumEnd = due - (due % _quantum) + _quantum;
        if (_queue.Count > 0 && _queue.Peek().Due < quantumEnd)
        {
            return false;
        }

        // The barrier of the delivery in hand (its outbox is empty), then the end of its quantum (Pump's InWindow and
        // AfterWindow with nothing left to deliver), then the next quantum's window (BetweenQuanta) and its dispatch.
        ref var current = ref _batch[0];
        Now = current.Due;
        Emit(ref current, DeliveryOutcome.Delivered, null);
        QuantaProcessed++;
        QuantumEnd = quantumEnd;
        _windowEnd = quantumEnd < run.Limit ? quantumEnd : run.Limit;

        current.Due = due;
        current.SenderId = cell.Id;
        current.Sequence = ++cell.SendSequence;
        current.TargetRef = cell.Ref;
        current.Message = message;
        current.Sender = cell.Ref;
        Now = due;
        cell.LocalNow = due;
        return true;
    }

    /// <summary>
    /// How far <paramref name="cell"/> could go on continuing (<see cref="TryContinue"/>) if it sent nothing: the due time
    /// of the first other envelope, or the run's limit, whichever is earlier; <see cref="long.MinValue"/> when it could not
    /// continue now. A quantum may be continued into when it ends at or before this time.
    /// </summary>
    public long ContinuationHorizon(SimCell cell)
    {
        if (!MayContinue(cell, out var run))
        {
            return long.MinValue;
        }

        return _queue.Count > 0 && _queue.Peek().Due < run.Limit ? _queue.Peek().Due : run.Limit;
    }

    // Everything but the time that TryContinue requires.
    private bool MayContinue(SimCell cell, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RunRequest? run)
    {
        run = _run;
        return !(Parallel || run is null || run.StopWhen is not null || run.SingleQuantum || _fault is not null
            || _phase != Phase.InWindow || _batchCount != 1 || _inFlight != 1 || _held.Count != 0 || Paused
            || !ReferenceEquals(_batch[0].Target, cell) || cell.State != CellState.Running || cell.Failed || cell.Outbox.Count != 0
            || Failure is not null || _stopRequested || _pauseRequested || _hasPendingStops || Volatile.Read(ref _pendingLifecycle) != 0);
    }
}

namespace Smp.Actors.Internal;

// Pausing between envelopes and resuming exactly there (a debugger stopping the machine): the phase, the quantum
// being delivered and the queue are kept, and deliveries an actor suspended are continued first.
internal sealed partial class Conductor
{
    // From the first suspended delivery of a batch on, in batch order: reported once the suspended ones complete,
    // so that the global report order is the same as without the pause.
    private readonly List<(Envelope Envelope, DeliveryOutcome Outcome, Exception? Exception)> _held = [];

    /// <summary>True between a run that ended with <see cref="RunResult.Paused"/> and the next run.</summary>
    public bool Paused { get; private set; }

    // Ends the run without moving on: the next StartRun resumes in the same phase and quantum.
    private void Pause(RunRequest run)
    {
        _pauseRequested = false;
        Paused = true;
        _run = null;
        run.Done.SetResult(RunResult.Paused);
    }

    // A delivery of the batch was suspended: it and every later one wait; the run pauses before the next envelope.
    private void HoldFrom(int first)
    {
        for (int j = first; j < _batchCount; j++)
        {
            _held.Add((_batch[j], _outcomes[j], _exceptions[j]));
        }

        _pauseRequested = true;
    }

    private void Resume(RunRequest run)
    {
        Paused = false;
        if (_phase == Phase.InWindow)
        {
            _windowEnd = QuantumEnd < run.Limit ? QuantumEnd : run.Limit;
        }

        if (_held.Count == 0)
        {
            Pump();
            return;
        }

        // The held part of the batch comes back, in batch order: suspended deliveries go out again as continuations,
        // deferred ones for the first time (an actor's mailbox keeps them after its continuation).
        int count = _held.Count;
        if (_batch.Length < count)
        {
            Array.Resize(ref _batch, count);
            Array.Resize(ref _outcomes, count);
            Array.Resize(ref _exceptions, count);
        }

        for (int i = 0; i < count; i++)
        {
            (_batch[i], _outcomes[i], _exceptions[i]) = _held[i];
        }

        _held.Clear();
        _batchCount = count;
        for (int i = 0; i < count; i++)
        {
            ref var envelope = ref _batch[i];
            var outcome = _outcomes[i];
            if (outcome is not (DeliveryOutcome.Suspended or DeliveryOutcome.Deferred))
            {
                continue;
            }

            var cell = envelope.Target!;
            if (cell.State != CellState.Running)
            {
                _outcomes[i] = DeliveryOutcome.RecipientStopped;
                continue;
            }

            Now = envelope.Due;
            _inFlight++;
            bool resumed = outcome == DeliveryOutcome.Suspended;
            var delivery = new Delivery(cell, envelope.Message, envelope.Due, i)
            {
                Resumed = resumed,
                Fault = !resumed && _fault is not null && _fault.Matches(cell.Path, envelope.Message) ? _fault : null,
            };
            cell.Ref.Tell(delivery, envelope.Sender ?? Akka.Actor.ActorRefs.NoSender);
        }

        if (_inFlight == 0)
        {
            Barrier();
            Pump();
        }
    }

    private void ForgetPause()
    {
        Paused = false;
        _held.Clear();
        QuantumEnd = 0;
        _phase = Phase.Starting;
    }
}

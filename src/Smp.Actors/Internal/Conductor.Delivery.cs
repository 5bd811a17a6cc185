using Akka.Actor;

namespace Smp.Actors.Internal;

// The delivery loop: quanta, batches, acknowledgements, barrier, report in global order.
internal sealed partial class Conductor
{
    private Envelope[] _batch = new Envelope[64];
    private DeliveryOutcome[] _outcomes = new DeliveryOutcome[64];
    private Exception?[] _exceptions = new Exception?[64];
    private int _batchCount;
    private int _inFlight;
    private RunRequest? _run;
    private Phase _phase;
    private long _windowEnd;

    private enum Phase
    {
        Starting,
        BetweenQuanta,
        InWindow,
        AfterWindow,
    }

    public void StartRun(RunRequest request)
    {
        if (_run is not null)
        {
            request.Done.SetException(new InvalidOperationException($"Simulation '{Simulation.Name}' is already running."));
            return;
        }

        if (Failure is not null)
        {
            request.Done.SetResult(RunResult.Failed);
            return;
        }

        _run = request;
        if (Paused)
        {
            Resume(request);
            return;
        }

        _stopRequested = false;
        _phase = Phase.Starting;
        Pump();
    }

    public void OnAcknowledged(Delivery delivery)
    {
        if (_inFlight == 0)
        {
            return; // a late acknowledgement of an abandoned batch
        }

        _outcomes[delivery.Slot] = delivery.Outcome;
        _exceptions[delivery.Slot] = delivery.Exception;
        if (--_inFlight == 0)
        {
            Barrier();
        }

        Pump();
    }

    /// <summary>Advances the run as far as it can without waiting for an actor; returns when it must wait or the run ended.</summary>
    public void Pump()
    {
        while (_run is { } run && _inFlight == 0 && Volatile.Read(ref _pendingLifecycle) == 0)
        {
            if (_pauseRequested && Failure is null)
            {
                Pause(run);
                return;
            }

            switch (_phase)
            {
                case Phase.Starting:
                    _phase = Phase.BetweenQuanta;
                    ApplyPendingStops();
                    break;
                case Phase.BetweenQuanta:
                    if (Failure is not null)
                    {
                        Finish(RunResult.Failed);
                        return;
                    }

                    if (_queue.Count == 0)
                    {
                        Finish(RunResult.Idle);
                        return;
                    }

                    var next = _queue.Peek().Due;
                    if (next >= run.Limit)
                    {
                        Finish(RunResult.TimeLimitReached);
                        return;
                    }

                    var quantumStart = next - (next % _quantum);
                    QuantumEnd = quantumStart + _quantum;
                    _windowEnd = QuantumEnd < run.Limit ? QuantumEnd : run.Limit;
                    _phase = Phase.InWindow;
                    break;
                case Phase.InWindow:
                    if (Failure is null && _queue.Count > 0 && _queue.Peek().Due < _windowEnd)
                    {
                        Dispatch();
                        break;
                    }

                    QuantaProcessed++;
                    _phase = Phase.AfterWindow;
                    ApplyPendingStops();
                    break;
                case Phase.AfterWindow:
                    QuantumEnd = 0;
                    _phase = Phase.BetweenQuanta;
                    if (Failure is not null)
                    {
                        Finish(RunResult.Failed);
                        return;
                    }

                    if (_stopRequested)
                    {
                        Finish(RunResult.StopRequested);
                        return;
                    }

                    if (run.SingleQuantum || (run.StopWhen is not null && run.StopWhen()))
                    {
                        Finish(RunResult.ConditionMet);
                        return;
                    }

                    break;
            }
        }
    }

    /// <summary>The run's actor threw or Akka failed under it: end the run with the exception instead of hanging.</summary>
    public void Abort(Exception exception)
    {
        var run = _run;
        _run = null;
        QuantumEnd = 0;
        run?.Done.TrySetException(exception);
    }

    // After a failure that loses envelopes in flight: forget the batch and end the run with the failure.
    private void AbandonBatch()
    {
        if (_inFlight == 0)
        {
            return;
        }

        _inFlight = 0;
        Array.Clear(_batch, 0, _batchCount);
        _batchCount = 0;
        if (_run is not null)
        {
            Finish(RunResult.Failed);
        }
    }

    private void Finish(RunResult result)
    {
        var run = _run!;
        _run = null;
        QuantumEnd = 0;
        run.Done.SetResult(result);
    }

    // Deterministic mode: the next envelope alone. Parallel mode: every envelope due in the window, each actor
    // receiving its own in order; Akka runs distinct actors on the pool's threads at once.
    private void Dispatch()
    {
        int count = 0;
        do
        {
            if (count == _batch.Length)
            {
                Array.Resize(ref _batch, count * 2);
                Array.Resize(ref _outcomes, count * 2);
                Array.Resize(ref _exceptions, count * 2);
            }

            _batch[count++] = _queue.Pop();
        }
        while (Parallel && _queue.Count > 0 && _queue.Peek().Due < _windowEnd);

        _batchCount = count;
        Now = _batch[0].Due;
        for (int i = 0; i < count; i++)
        {
            ref var envelope = ref _batch[i];
            _exceptions[i] = null;
            var cell = envelope.Target;
            if (cell is not null && cell.State == CellState.Running)
            {
                _outcomes[i] = DeliveryOutcome.NotRun;
                _inFlight++;
                var delivery = new Delivery(cell, envelope.Message, envelope.Due, i)
                {
                    Fault = _fault is not null && _fault.Matches(cell.Path, envelope.Message) ? _fault : null,
                };
                cell.Ref.Tell(delivery, envelope.Sender ?? ActorRefs.NoSender);
            }
            else
            {
                _outcomes[i] = Undeliverable(ref envelope);
            }
        }

        if (_inFlight == 0)
        {
            Barrier();
        }
    }

    private DeliveryOutcome Undeliverable(ref Envelope envelope)
    {
        if (envelope.Target is not null)
        {
            return envelope.Message is TimerFire ? DeliveryOutcome.Dropped : DeliveryOutcome.RecipientStopped;
        }

        if (envelope.TargetRef.IsNobody() || envelope.TargetRef is DeadLetterActorRef)
        {
            return DeliveryOutcome.NoRecipient;
        }

        // A receiver outside the simulation (a plain Akka actor): the message leaves simulated time here.
        envelope.TargetRef.Tell(envelope.Message, envelope.Sender ?? ActorRefs.NoSender);
        return DeliveryOutcome.Delivered;
    }

    // Every envelope of the batch is acknowledged: merge the sends, then report in global order up to the first failure.
    private void Barrier()
    {
        int count = _batchCount;
        for (int i = 0; i < count; i++)
        {
            if (_batch[i].Target is { } cell && cell.Outbox.Count > 0)
            {
                DrainOutbox(cell);
            }
        }

        for (int i = 0; i < count; i++)
        {
            ref var envelope = ref _batch[i];
            var outcome = _outcomes[i];
            if (outcome is DeliveryOutcome.Suspended or DeliveryOutcome.Deferred)
            {
                HoldFrom(i);
                break;
            }

            Now = envelope.Due;
            if (outcome == DeliveryOutcome.NotRun)
            {
                continue;
            }

            Emit(ref envelope, outcome, _exceptions[i]);
            if (outcome == DeliveryOutcome.Failed)
            {
                break;
            }
        }

        Array.Clear(_batch, 0, count);
        Array.Clear(_exceptions, 0, count);
        _batchCount = 0;
    }

    private void Emit(ref Envelope envelope, DeliveryOutcome outcome, Exception? exception)
    {
        var message = envelope.Message is TimerFire fire ? fire.Message : envelope.Message;
        switch (outcome)
        {
            case DeliveryOutcome.Delivered:
                MessagesDelivered++;
                _recorder?.Record(envelope.Due, SenderPath(envelope.Sender), TargetPath(ref envelope), message);
                break;
            case DeliveryOutcome.Unhandled:
                MessagesDelivered++;
                _recorder?.Record(envelope.Due, SenderPath(envelope.Sender), TargetPath(ref envelope), message);
                AddDeadLetter(ref envelope, message, DeadLetterReason.Unhandled);
                break;
            case DeliveryOutcome.RecipientStopped:
                AddDeadLetter(ref envelope, message, DeadLetterReason.RecipientStopped);
                break;
            case DeliveryOutcome.NoRecipient:
                AddDeadLetter(ref envelope, message, DeadLetterReason.NoRecipient);
                break;
            case DeliveryOutcome.Failed:
                _recorder?.Record(envelope.Due, SenderPath(envelope.Sender), TargetPath(ref envelope), message);
                var cell = envelope.Target!;
                ReportFailure(new ActorFailure(PathOf(cell), message, exception ?? new InvalidOperationException("unknown failure"), envelope.Due, "handling"));

                // Stopped, never restarted: a fresh instance would silently lose the actor's state.
                cell.MarkStopped();
                Simulation.System.Stop(cell.Ref);
                break;
            default:
                break;
        }
    }

    private void AddDeadLetter(ref Envelope envelope, object message, DeadLetterReason reason)
    {
        var letter = new DeadLetter(envelope.Due, message, envelope.Sender, envelope.TargetRef, SenderPath(envelope.Sender), TargetPath(ref envelope), reason);
        _deadLetters.Add(letter);
        DeadLetterRecorded?.Invoke(letter);
    }

    private string SenderPath(IActorRef? sender)
    {
        if (sender is null || sender.IsNobody() || sender is DeadLetterActorRef)
        {
            return "-";
        }

        return CellOf(sender)?.Path ?? sender.Path.ToStringWithoutAddress();
    }

    private static string TargetPath(ref Envelope envelope) =>
        envelope.Target?.Path ?? (envelope.TargetRef.IsNobody() ? "-" : envelope.TargetRef.Path.ToStringWithoutAddress());

    private void ApplyPendingStops()
    {
        if (!_hasPendingStops)
        {
            return;
        }

        SimCell[] stops;
        lock (_pendingStops)
        {
            stops = [.. _pendingStops];
            _pendingStops.Clear();
            _hasPendingStops = false;
        }

        // In id order, so that PostStop side effects do not depend on which actor asked first.
        Array.Sort(stops, static (a, b) => a.Id.CompareTo(b.Id));
        foreach (var cell in stops)
        {
            ApplyStop(cell);
        }
    }
}

using Smp.Actors.Internal;

namespace Smp.Actors;

/// <summary>
/// Runs the actors of one quantum concurrently on the thread pool. Each actor still handles
/// its own messages of the quantum in (time, sender, sequence) order; what it sends is kept
/// in an outbox and merged into the queue at the quantum barrier, and deliveries, dead letters
/// and failures are reported in the same global order as the <see cref="DeterministicDispatcher"/>.
/// Because of the quantum rule nothing sent during a quantum is due inside it, so actors that
/// interact only through messages give identical results with either dispatcher.
/// </summary>
/// <remarks>
/// Not deterministic under this dispatcher: state shared outside messages (such as guest RAM
/// written by several CPUs in the same quantum), <see cref="ActorSystem.Now"/> read inside a
/// handler (use <see cref="IActorContext.Now"/>), and the sender ids of actors spawned by two
/// different actors in the same quantum (spawn ids are taken first come, first served).
/// </remarks>
public sealed class ParallelDispatcher : Dispatcher
{
    private readonly List<ActorCell> _active = [];
    private readonly ParallelOptions _parallelOptions;
    private readonly Action<int> _processActive;
    private Envelope[] _batch = new Envelope[256];
    private DeliveryOutcome[] _outcomes = new DeliveryOutcome[256];
    private long _mark;

    /// <summary>Creates a parallel dispatcher.</summary>
    /// <param name="threads">The most host threads to use; the processor count when null.</param>
    /// <param name="minParallelBatch">
    /// Quanta with fewer messages than this run on the driving thread (with the same semantics),
    /// because handing a few messages to other threads costs more than it saves.
    /// </param>
    public ParallelDispatcher(int? threads = null, int minParallelBatch = 32)
    {
        Threads = threads ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Threads, nameof(threads));
        ArgumentOutOfRangeException.ThrowIfNegative(minParallelBatch);
        MinParallelBatch = minParallelBatch;
        _parallelOptions = new ParallelOptions { MaxDegreeOfParallelism = Threads };
        _processActive = i => ProcessCell(_active[i]);
    }

    /// <inheritdoc />
    public override string Name => "parallel";

    /// <summary>The most host threads used per quantum.</summary>
    public int Threads { get; }

    /// <summary>The smallest quantum (in messages) that is spread over several threads.</summary>
    public int MinParallelBatch { get; }

    internal override void RunWindow(long windowEnd)
    {
        var system = System;
        var queue = system.Queue;
        var count = 0;
        while (queue.Count > 0 && queue.Peek().Due < windowEnd)
        {
            if (count == _batch.Length)
            {
                Array.Resize(ref _batch, count * 2);
                Array.Resize(ref _outcomes, count * 2);
            }

            _batch[count++] = queue.Pop();
        }

        if (count == 0)
        {
            return;
        }

        // Group the batch by receiver, keeping each receiver's messages in global order.
        _mark++;
        _active.Clear();
        for (var i = 0; i < count; i++)
        {
            var cell = _batch[i].Target;
            if (cell.BatchMark != _mark)
            {
                cell.BatchMark = _mark;
                (cell.BatchSlots ??= []).Clear();
                cell.CellOutbox ??= [];
                _active.Add(cell);
            }

            cell.BatchSlots!.Add(i);
            _outcomes[i] = DeliveryOutcome.NotRun;
        }

        system.SetNow(_batch[0].Due);
        if (_active.Count == 1 || Threads == 1 || count < MinParallelBatch)
        {
            for (var i = 0; i < _active.Count; i++)
            {
                ProcessCell(_active[i]);
            }
        }
        else
        {
            Parallel.For(0, _active.Count, _parallelOptions, _processActive);
        }

        // Barrier: merge the outboxes (the queue's order does not depend on insertion order).
        foreach (var cell in _active)
        {
            var outbox = cell.CellOutbox!;
            for (var j = 0; j < outbox.Count; j++)
            {
                queue.Push(outbox[j]);
            }

            outbox.Clear();
        }

        // Report in global order, stopping at the first failure like the deterministic dispatcher.
        for (var i = 0; i < count; i++)
        {
            system.SetNow(_batch[i].Due);
            var outcome = _outcomes[i];
            if (outcome == DeliveryOutcome.NotRun)
            {
                continue;
            }

            system.Emit(ref _batch[i], outcome);
            if (outcome == DeliveryOutcome.Failed)
            {
                break;
            }
        }

        Array.Clear(_batch, 0, count);
    }

    private void ProcessCell(ActorCell cell)
    {
        var slots = cell.BatchSlots!;
        ActorCell.Outbox = cell.CellOutbox;
        try
        {
            for (var k = 0; k < slots.Count; k++)
            {
                var slot = slots[k];
                var outcome = cell.Deliver(ref _batch[slot]);
                _outcomes[slot] = outcome;
                if (outcome == DeliveryOutcome.Failed)
                {
                    break;
                }
            }
        }
        finally
        {
            ActorCell.Outbox = null;
        }
    }
}

using Akka.Actor;
using Smp.Actors.Internal;

namespace Smp.Actors;

/// <summary>
/// The base of every simulated actor: an Akka.NET <see cref="ReceiveActor"/> (register handlers with
/// <c>Receive&lt;T&gt;</c> in the constructor, <c>Become</c>, <c>Self</c>, <c>Sender</c>, <c>PreStart</c>,
/// <c>PostStop</c> as usual) whose messages arrive from the simulation's conductor in simulated time.
/// Send with <see cref="Sim"/> (<c>Sim.Tell(target, message)</c>), never with Akka's <c>Tell</c>, which would
/// bypass simulated time (the banned-API analyzer refuses it in simulation code).
/// </summary>
/// <remarks>
/// Create simulated actors with <see cref="Simulation.ActorOf"/> or <see cref="ISimContext.ActorOf"/>. A handler that
/// throws is caught here, where the message is known: the run stops with an <see cref="ActorFailure"/> and the actor
/// is stopped, never restarted (its children are supervised with Akka's stopping strategy too).
/// </remarks>
public abstract class SimActor : ReceiveActor
{
    private readonly SimCell _cell;

    /// <summary>Binds the new actor to its registration in the simulation; fails outside <see cref="Simulation.ActorOf"/>.</summary>
    protected SimActor()
    {
        _cell = SimCell.TakeConstructing()
            ?? throw new InvalidOperationException(
                $"{GetType().Name} is a simulated actor: create it with Simulation.ActorOf or Sim.ActorOf, not with new or ActorSystem.ActorOf.");
        _cell.Actor = this;
        // Known here, on the actor's thread, before PreStart can start a timer or send: in parallel mode the constructor
        // may run before the conductor's thread binds the reference it got from Akka, and a send stamped with no
        // reference would be recorded without its sender.
        _cell.Ref = Self;
    }

    /// <summary>The actor's simulated-time context: the time, stamped sends, timers, children, stop and watch.</summary>
    protected ISimContext Sim => _cell;

    /// <summary>The actor's timers in simulated time (the same as <c>Sim.Timers</c>).</summary>
    protected SimTimers Timers => _cell.Timers;

    /// <summary>Runs <c>PreStart</c> in simulated time (its sends are stamped) and reports the start to the conductor.</summary>
    public sealed override void AroundPreStart() => _cell.RunPreStart(this);

    /// <summary>Runs <c>PostStop</c> in simulated time and reports the stop to the conductor.</summary>
    public sealed override void AroundPostStop() => _cell.RunPostStop(this);

    internal IActorContext AkkaContext => Context;

    internal void BasePreStart() => base.AroundPreStart();

    internal void BasePostStop() => base.AroundPostStop();

    internal bool BaseReceive(Receive receive, object message) => base.AroundReceive(receive, message);

    internal void ResumeDelivery() => OnDeliveryResumed();

    /// <summary>
    /// Continues a delivery this actor suspended with <see cref="ISimContext.SuspendDelivery"/>: called first when the
    /// paused simulation runs again, at the suspended message's time. It may suspend again. The default throws: only
    /// actors that suspend have a continuation.
    /// </summary>
    protected virtual void OnDeliveryResumed() =>
        throw new InvalidOperationException($"{GetType().Name} suspended a delivery but does not override OnDeliveryResumed.");

    /// <summary>Unwraps the conductor's envelope and runs the handlers; anything that did not come through the conductor is reported.</summary>
    /// <param name="receive">The current behaviour.</param>
    /// <param name="message">The Akka message.</param>
    /// <returns>Always true: nothing is left to Akka's unhandled-message path.</returns>
    protected sealed override bool AroundReceive(Receive receive, object message)
    {
        if (message is Delivery delivery && ReferenceEquals(delivery.Cell, _cell))
        {
            _cell.Handle(delivery, receive, this);
        }
        else
        {
            _cell.ReportStray(message);
        }

        return true;
    }

    /// <summary>Records the message as a dead letter in simulated time (<see cref="DeadLetterReason.Unhandled"/>) instead of publishing it to Akka's event stream.</summary>
    /// <param name="message">The message no handler took.</param>
    protected override void Unhandled(object message) => _cell.MarkUnhandled();

    /// <summary>Children are stopped, never restarted, when they fail: a restart would silently replace their state.</summary>
    /// <returns>Akka's stopping strategy.</returns>
    protected override SupervisorStrategy SupervisorStrategy() => Akka.Actor.SupervisorStrategy.StoppingStrategy;
}

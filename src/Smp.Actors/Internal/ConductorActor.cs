using Akka.Actor;

namespace Smp.Actors.Internal;

/// <summary>
/// The Akka actor that hosts a <see cref="Conductor"/>: the parent (and stopping supervisor) of the simulation's
/// top-level actors. Every message it gets is an event of the conductor's loop: a run request from the host, an
/// acknowledgement, an actor started or stopped.
/// </summary>
internal sealed class ConductorActor : ReceiveActor
{
    private readonly Conductor _conductor;
    private readonly TaskCompletionSource _terminated;

    public ConductorActor(Conductor conductor, TaskCompletionSource terminated)
    {
        _conductor = conductor;
        _terminated = terminated;
        Receive<Delivery>(_conductor.OnAcknowledged);
        Receive<Started>(_conductor.OnStarted);
        Receive<Stopped>(_conductor.OnStopped);
        Receive<Stray>(_conductor.OnStray);
        Receive<RunRequest>(_conductor.StartRun);
        Receive<SpawnRequest>(request => _conductor.SpawnTop(Context, request));
        Receive<StopRequest>(request => _conductor.StopFromHost(request));
    }

    /// <summary>Runs each event with the conductor marked as running on this thread; a bug in the loop ends the run with its exception instead of a hang.</summary>
    /// <param name="receive">The behaviour.</param>
    /// <param name="message">The event.</param>
    /// <returns>Whether it was handled.</returns>
    protected override bool AroundReceive(Receive receive, object message)
    {
        _conductor.Enter();
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception ex)
        {
            _conductor.Abort(ex);
            return true;
        }
        finally
        {
            _conductor.Leave();
        }
    }

    /// <summary>Top-level simulated actors are stopped, never restarted, when Akka sees them fail.</summary>
    /// <returns>Akka's stopping strategy.</returns>
    protected override SupervisorStrategy SupervisorStrategy() => Akka.Actor.SupervisorStrategy.StoppingStrategy;

    /// <summary>Lets <see cref="Simulation.Dispose"/> return once every simulated actor has stopped.</summary>
    protected override void PostStop() => _terminated.TrySetResult();
}

using Akka.Actor;

namespace Smp.Actors.Internal;

/// <summary>
/// The Akka actor that hosts a <see cref="Conductor"/>: the parent (and stopping supervisor) of the simulation's
/// top-level actors. Every message it gets is an event of the conductor's loop: a run request from the host, an
/// acknowledgement, an actor started or stopped. An <see cref="UntypedActor"/> with one type switch, because it handles
/// every acknowledgement of the run (simulated actors are <see cref="ReceiveActor"/>s).
/// </summary>
internal sealed class ConductorActor : UntypedActor
{
    private readonly Conductor _conductor;
    private readonly TaskCompletionSource _terminated;

    public ConductorActor(Conductor conductor, TaskCompletionSource terminated)
    {
        _conductor = conductor;
        _terminated = terminated;
    }

    /// <summary>Runs each event with the conductor marked as running on this thread; a bug in the loop ends the run with its exception instead of a hang.</summary>
    /// <param name="message">The event.</param>
    protected override void OnReceive(object message)
    {
        _conductor.Enter();
        try
        {
            switch (message)
            {
                case Delivery delivery: _conductor.OnAcknowledged(delivery); break;
                case Started started: _conductor.OnStarted(started); break;
                case Stopped stopped: _conductor.OnStopped(stopped); break;
                case Stray stray: _conductor.OnStray(stray); break;
                case RunRequest run: _conductor.StartRun(run); break;
                case SpawnRequest spawn: _conductor.SpawnTop(Context, spawn); break;
                case StopRequest stop: _conductor.StopFromHost(stop); break;
                default: Unhandled(message); break;
            }
        }
        catch (Exception ex)
        {
            _conductor.Abort(ex);
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

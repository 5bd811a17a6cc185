using System.Reflection;
using Akka.Actor;

namespace Smp.Actors.Internal;

/// <summary>
/// Creates a simulated actor from the caller's Akka <see cref="Props"/> with its registration at hand (the
/// <see cref="SimActor"/> constructor takes it), and reports a constructor that throws before Akka stops the
/// actor, so the failure names the actor and the stage.
/// </summary>
internal sealed class SimActorProducer(Props inner, SimCell cell) : IIndirectActorProducer
{
    public Type ActorType => inner.Type;

    public ActorBase Produce()
    {
        var previous = SimCell.BeginConstructing(cell);
        try
        {
            var actor = inner.NewActor();
            if (actor is not SimActor)
            {
                throw new InvalidOperationException($"{inner.Type.Name} is not a SimActor; only simulated actors can live in a simulation.");
            }

            return actor;
        }
        catch (Exception ex)
        {
            cell.Conductor.ReportStarted(cell, Unwrap(ex));
            throw;
        }
        finally
        {
            SimCell.EndConstructing(previous);
        }
    }

    public void Release(ActorBase actor)
    {
    }

    // Akka wraps constructor exceptions (TypeLoadException around TargetInvocationException): report the real one.
    private static Exception Unwrap(Exception ex)
    {
        while (ex is TypeLoadException or TargetInvocationException && ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }
}

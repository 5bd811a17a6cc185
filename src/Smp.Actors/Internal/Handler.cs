namespace Smp.Actors.Internal;

/// <summary>One registered <c>Receive</c> clause.</summary>
internal abstract class Handler
{
    public abstract bool TryHandle(object message);
}

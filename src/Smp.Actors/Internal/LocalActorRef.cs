namespace Smp.Actors.Internal;

/// <summary>The reference to a cell; one per cell, so references compare by identity.</summary>
internal sealed class LocalActorRef(ActorCell cell) : IInternalActorRef
{
    public ActorCell Cell { get; } = cell;

    public string Path => Cell.Path;

    public string Name => Cell.Name;

    public void Tell(object message, IActorRef? sender = null) => Cell.SystemImpl.Post(Cell, message, sender);

    public override string ToString() => Path;
}

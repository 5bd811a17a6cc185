namespace Smp.Actors.Internal;

/// <summary>A reference backed by a cell of this runtime (actor refs and test probes).</summary>
internal interface IInternalActorRef : IActorRef
{
    ActorCell Cell { get; }
}

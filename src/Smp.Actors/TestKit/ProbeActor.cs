namespace Smp.Actors.TestKit;

/// <summary>The actor behind a <see cref="TestProbe"/>: it queues every message with its sender.</summary>
internal sealed class ProbeActor : Actor
{
    public ProbeActor(Queue<(object Message, IActorRef Sender, long Time)> inbox)
    {
        ReceiveAny(message => inbox.Enqueue((message, Sender, Context.Now)));
    }
}

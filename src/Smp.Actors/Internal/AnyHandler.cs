namespace Smp.Actors.Internal;

/// <summary>A <c>ReceiveAny</c> clause: matches every message.</summary>
internal sealed class AnyHandler(Action<object> action) : Handler
{
    public override bool TryHandle(object message)
    {
        action(message);
        return true;
    }
}

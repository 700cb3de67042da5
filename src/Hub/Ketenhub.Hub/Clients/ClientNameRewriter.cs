using System.Collections;
using System.Collections.Concurrent;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Ketenhub.Hub.Clients;

namespace Ketenhub.Hub.Host.Clients;

/// <summary>
/// Turns the client names in contract messages between the hub's form and a party's own (see <see cref="ClientNames"/>):
/// every string field, in any message at any depth, whose whole value is a client name. A request's names become the
/// hub's before the domain sees them; an answer's and a delivery's names become the party's before they leave. Fields
/// are found by reflection over the message descriptors, once per message type, so a field added to the contract later
/// is covered without a change here.
/// </summary>
public sealed class ClientNameRewriter(ClientNames names)
{
    private static readonly ConcurrentDictionary<MessageDescriptor, FieldDescriptor[]> Fields = new();

    /// <summary>A party's names in <paramref name="message"/> become the hub's.</summary>
    public void Inbound(IMessage? message, string partyId)
    {
        ArgumentNullException.ThrowIfNull(partyId);
        Rewrite(message, name => ClientNames.Collection + "/" + names.Resolve(partyId, name[(ClientNames.Collection.Length + 1)..]));
    }

    /// <summary>The hub's names in <paramref name="message"/> become <paramref name="partyId"/>'s.</summary>
    public void Outbound(IMessage? message, string partyId)
    {
        ArgumentNullException.ThrowIfNull(partyId);
        Rewrite(message, name => names.For(partyId, name[(ClientNames.Collection.Length + 1)..]));
    }

    private static void Rewrite(IMessage? message, Func<string, string> rename)
    {
        if (message is null)
        {
            return;
        }

        foreach (var field in Fields.GetOrAdd(message.Descriptor, Relevant))
        {
            var value = field.Accessor.GetValue(message);
            switch (value)
            {
                case string text when ClientNames.IsClientName(text):
                    field.Accessor.SetValue(message, rename(text));
                    break;
                case IMessage nested when !field.IsRepeated:
                    Rewrite(nested, rename);
                    break;
                case IList list when field.IsRepeated:
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is string item && ClientNames.IsClientName(item))
                        {
                            list[i] = rename(item);
                        }
                        else if (list[i] is IMessage element)
                        {
                            Rewrite(element, rename);
                        }
                    }

                    break;
            }
        }
    }

    /// <summary>The fields of a message type that hold, or may hold deeper down, a string.</summary>
    private static FieldDescriptor[] Relevant(MessageDescriptor descriptor) =>
        [.. descriptor.Fields.InDeclarationOrder().Where(f => !f.IsMap && (f.FieldType == FieldType.String || (f.FieldType == FieldType.Message && MayHoldString(f.MessageType, []))))];

    private static bool MayHoldString(MessageDescriptor descriptor, HashSet<MessageDescriptor> seen)
    {
        if (!seen.Add(descriptor) || descriptor.FullName.StartsWith("google.protobuf.", StringComparison.Ordinal) || descriptor.FullName.StartsWith("google.type.", StringComparison.Ordinal))
        {
            return false;
        }

        return descriptor.Fields.InDeclarationOrder().Any(f => !f.IsMap && (f.FieldType == FieldType.String || (f.FieldType == FieldType.Message && MayHoldString(f.MessageType, seen))));
    }
}

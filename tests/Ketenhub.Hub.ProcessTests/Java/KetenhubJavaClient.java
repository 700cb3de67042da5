// A Java client built from protos/ketenhub/v1 alone (protoc --java_out and the grpc-java plugin, no SDK), as an
// integrator would write one. docs/api.md shows how to build it; JavaClientTests runs it against a real hub.
//
// It calls the hub as two parties in Development (the ketenhub-party header; in production a bearer token or a client
// certificate identifies the caller): registers a client at both, names the coach, records the client's consent, raises
// a signal, reads it from the delivery stream without acknowledging, resumes the stream from the last sequence it
// received and gets the same delivery again, acknowledges it, lists the signal with a filter, and reads the hub's
// machine-readable reason from a refused filter. Prints one line per step; exits 1 on the first step that fails.

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.ErrorInfo;
import com.google.type.Date;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.security.SecureRandom;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import nl.ketenhub.v1.AcknowledgeDeliveryRequest;
import nl.ketenhub.v1.AssignCoachRequest;
import nl.ketenhub.v1.ClientServiceGrpc;
import nl.ketenhub.v1.Coach;
import nl.ketenhub.v1.Consent;
import nl.ketenhub.v1.ConsentServiceGrpc;
import nl.ketenhub.v1.CreateSignalRequest;
import nl.ketenhub.v1.DataCategory;
import nl.ketenhub.v1.Delivery;
import nl.ketenhub.v1.DeliveryServiceGrpc;
import nl.ketenhub.v1.GrantConsentRequest;
import nl.ketenhub.v1.GrantorRole;
import nl.ketenhub.v1.LifeDomain;
import nl.ketenhub.v1.ListSignalsRequest;
import nl.ketenhub.v1.ListSignalsResponse;
import nl.ketenhub.v1.Purpose;
import nl.ketenhub.v1.RegisterClientRequest;
import nl.ketenhub.v1.Signal;
import nl.ketenhub.v1.SignalKind;
import nl.ketenhub.v1.SignalServiceGrpc;
import nl.ketenhub.v1.SignalSeverity;
import nl.ketenhub.v1.StreamDeliveriesRequest;
import nl.ketenhub.v1.StreamDeliveriesResponse;

public final class KetenhubJavaClient {
    private static final Metadata.Key<String> PARTY = Metadata.Key.of("ketenhub-party", Metadata.ASCII_STRING_MARSHALLER);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The generated blocking stubs of one party. */
    private record Party(
            ClientServiceGrpc.ClientServiceBlockingStub clients,
            ConsentServiceGrpc.ConsentServiceBlockingStub consents,
            SignalServiceGrpc.SignalServiceBlockingStub signals,
            DeliveryServiceGrpc.DeliveryServiceBlockingStub deliveries) {

        static Party of(ManagedChannel channel, String party) {
            Metadata headers = new Metadata();
            headers.put(PARTY, party);
            var identify = MetadataUtils.newAttachHeadersInterceptor(headers);
            return new Party(
                    ClientServiceGrpc.newBlockingStub(channel).withInterceptors(identify),
                    ConsentServiceGrpc.newBlockingStub(channel).withInterceptors(identify),
                    SignalServiceGrpc.newBlockingStub(channel).withInterceptors(identify),
                    DeliveryServiceGrpc.newBlockingStub(channel).withInterceptors(identify));
        }

        /** Every call with a deadline of its own, as a client should. */
        Party within(long seconds) {
            return new Party(
                    clients.withDeadlineAfter(seconds, TimeUnit.SECONDS),
                    consents.withDeadlineAfter(seconds, TimeUnit.SECONDS),
                    signals.withDeadlineAfter(seconds, TimeUnit.SECONDS),
                    deliveries);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: KetenhubJavaClient host:port");
            System.exit(2);
        }

        ManagedChannel channel = ManagedChannelBuilder.forTarget(args[0]).usePlaintext().build();
        try {
            run(Party.of(channel, "sdd"), Party.of(channel, "waakvlam-zorg"));
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static void run(Party sdd, Party coach) {
        String bsn = newBsn();
        Date birthDate = Date.newBuilder().setYear(1994).setMonth(11).setDay(2).build();
        String atCoach = coach.within(10).clients().registerClient(RegisterClientRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString()).setBsn(bsn).setBirthDate(birthDate).setMunicipalityCode("0505").build())
                .getClient().getName();
        String atSdd = sdd.within(10).clients().registerClient(RegisterClientRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString()).setBsn(bsn).setBirthDate(birthDate).setMunicipalityCode("0505").build())
                .getClient().getName();
        check(!atCoach.equals(atSdd), "each party has its own name for the client");

        sdd.within(10).clients().assignCoach(AssignCoachRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString())
                .setClient(atSdd)
                .setCoach(Coach.newBuilder().setParty("parties/waakvlam-zorg").setCoachId("lisa").setDisplayName("Lisa"))
                .build());
        coach.within(10).consents().grantConsent(GrantConsentRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString())
                .setConsent(Consent.newBuilder()
                        .setClient(atCoach)
                        .setGrantorRole(GrantorRole.GRANTOR_ROLE_CLIENT)
                        .setRecipientParty("parties/waakvlam-zorg")
                        .addPurposes(Purpose.PURPOSE_SIGNAL_FOLLOW_UP)
                        .addDataCategories(DataCategory.DATA_CATEGORY_FINANCES))
                .build());
        System.out.println("client registered, coach named, consent recorded");

        Signal signal = sdd.within(10).signals().createSignal(CreateSignalRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString())
                .setSignal(Signal.newBuilder()
                        .setClient(atSdd)
                        .setKind(SignalKind.SIGNAL_KIND_PAYMENT_ARREARS)
                        .setLifeDomain(LifeDomain.LIFE_DOMAIN_FINANCES)
                        .setSeverity(SignalSeverity.SIGNAL_SEVERITY_CONCERN)
                        .setDescription("Two months of arrears on rent."))
                .build()).getSignal();
        System.out.println("signal raised");

        // Received, not acknowledged: after a reconnect from the last sequence received, it comes again.
        Delivery first = firstDelivery(coach, 0);
        check(first.getSignal().getName().equals(signal.getName()), "the stream carries the signal");
        Delivery again = firstDelivery(coach, first.getSequence());
        check(again.getName().equals(first.getName()), "resuming after the last received sequence gives the unacknowledged delivery again");
        coach.deliveries().withDeadlineAfter(10, TimeUnit.SECONDS).acknowledgeDelivery(AcknowledgeDeliveryRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString()).setName(again.getName()).build());
        System.out.println("delivery received twice, acknowledged once");

        ListSignalsResponse listed = coach.within(10).signals().listSignals(ListSignalsRequest.newBuilder()
                .setFilter("client = \"" + atCoach + "\" AND severity >= SIGNAL_SEVERITY_CONCERN")
                .setOrderBy("create_time desc")
                .build());
        check(listed.getSignalsCount() == 1 && listed.getSignals(0).getName().equals(signal.getName()), "the coach lists the signal by its own name for the client");
        System.out.println("signal listed");

        try {
            coach.within(10).signals().listSignals(ListSignalsRequest.newBuilder().setFilter("client ~ 1").build());
            check(false, "a filter the hub cannot read is refused");
        } catch (StatusRuntimeException refused) {
            com.google.rpc.Status status = StatusProto.fromThrowable(refused);
            check(status != null, "the refusal carries google.rpc.Status details");
            ErrorInfo info = null;
            for (Any detail : status.getDetailsList()) {
                if (detail.is(ErrorInfo.class)) {
                    try {
                        info = detail.unpack(ErrorInfo.class);
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
            check(info != null && info.getReason().equals("INVALID_FILTER") && info.getDomain().equals("ketenhub.nl"), "the refusal's ErrorInfo says INVALID_FILTER");
            System.out.println("refusal read: " + info.getReason() + " at " + info.getMetadataOrDefault("position", "?"));
        }

        System.out.println("OK");
    }

    /** Opens the coach's delivery stream after a sequence, takes its first delivery (heartbeats aside) and closes it. */
    private static Delivery firstDelivery(Party party, long afterSequence) {
        Context.CancellableContext stream = Context.current().withCancellation();
        try {
            return stream.call(() -> {
                Iterator<StreamDeliveriesResponse> messages = party.deliveries().withDeadlineAfter(20, TimeUnit.SECONDS)
                        .streamDeliveries(StreamDeliveriesRequest.newBuilder()
                                .setAfterSequence(afterSequence)
                                .setAckDeadline(Duration.newBuilder().setSeconds(30))
                                .build());
                while (messages.hasNext()) {
                    StreamDeliveriesResponse message = messages.next();
                    if (message.hasDelivery()) {
                        return message.getDelivery();
                    }
                }
                throw new IllegalStateException("The stream ended without a delivery.");
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            stream.cancel(null);
        }
    }

    /** A burgerservicenummer that passes the elfproef. */
    private static String newBsn() {
        while (true) {
            int[] digits = new int[9];
            int sum = 0;
            for (int i = 0; i < 8; i++) {
                digits[i] = i == 0 ? 1 + RANDOM.nextInt(9) : RANDOM.nextInt(10);
                sum += digits[i] * (9 - i);
            }
            int last = sum % 11;
            if (last < 10) {
                digits[8] = last;
                StringBuilder text = new StringBuilder();
                for (int d : digits) {
                    text.append(d);
                }
                return text.toString();
            }
        }
    }

    private static void check(boolean holds, String what) {
        if (!holds) {
            System.err.println("FAILED: " + what);
            System.exit(1);
        }
    }
}

import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsTestSupport
import Testing

@testable import LeanStatsSync

/// The emulator's organisation and login flow, driven by the real client over loopback.
@Suite(.serialized) struct EmulatorLoginTests {
    /// The organisation of the bundled sample.
    static let organisation = EmulatedOrganisation(records: SyncHarness.sample)

    @Test func theOrganisationIsADeterministicTreeNamedAfterTheData() throws {
        let organisation = Self.organisation
        #expect(organisation == EmulatedOrganisation(records: SyncHarness.sample.reversed()))
        let names = Set(SyncHarness.sample.compactMap(\.originatorDeptName).filter { !$0.isEmpty })
        let departments = organisation.departments.filter { $0.id != 1 }
        #expect(Set(departments.map(\.name)) == names)
        #expect(organisation.department(1)?.parentId == nil)
        for department in departments {
            let parent = try #require(department.parentId)
            #expect(organisation.department(parent) != nil)
            #expect(parent < department.id || parent == 1)
            let head = try #require(organisation.heads[department.id], "\(department.name) has a head")
            #expect(organisation.isMember(head))
        }
        let depth = departments.map { department -> Int in
            var level = 0
            var id: Int64? = department.id
            while let current = id, current != 1 {
                level += 1
                id = organisation.department(current)?.parentId
            }
            return level
        }.max()
        #expect(depth == 3)
        #expect(organisation.admins.count == 2)
        #expect(Set(organisation.admins).isDisjoint(with: organisation.heads.values))
        #expect(!organisation.isMember(EmulatedOrganisation.outsider))
    }

    @Test func aHeadSignsInAndTheClientReadsHisProfileAndTheTree() async throws {
        let harness = try SyncHarness(records: SyncHarness.sample)
        defer { harness.tearDown() }
        let transport = CurlTransport(timeoutSeconds: 5)
        let client = DingTalkClient(settings: harness.settings(api: .legacy), transport: transport)
        let organisation = harness.emulator.organisation
        let parent = try #require(
            organisation.departments.first { $0.parentId == 1 && !organisation.children(of: $0.id).isEmpty }
        )
        let head = try #require(organisation.heads[parent.id])
        let code = try await authCode(harness, transport: transport, login: head)
        let token = try await client.userAccessToken(authCode: code)
        let unionId = try await client.unionId(userAccessToken: token)
        #expect(unionId != head)
        #expect(try await client.userId(unionId: unionId) == head)
        let profile = try #require(try await client.profile(userId: head))
        #expect(profile.leaderOf == organisation.departmentsHeaded(by: head))
        #expect(profile.leaderOf.contains(parent.id))
        #expect(profile.name != nil)
        let top = try await client.subDepartments(of: 1)
        #expect(top.map(\.id) == organisation.children(of: 1).map(\.id))
        #expect(top.allSatisfy { $0.parentId == 1 })
        let below = try await client.subDepartments(of: parent.id)
        #expect(Set(below.map(\.name)) == Set(organisation.children(of: parent.id).map(\.name)))
        #expect(!below.isEmpty)
    }

    @Test func aCodeIsGoodOnceAndAnOutsiderIsNotInTheOrganisation() async throws {
        let harness = try SyncHarness(records: SyncHarness.sample)
        defer { harness.tearDown() }
        let transport = CurlTransport(timeoutSeconds: 5)
        let client = DingTalkClient(settings: harness.settings(api: .v1), transport: transport)
        let code = try await authCode(harness, transport: transport, login: EmulatedOrganisation.outsider)
        let token = try await client.userAccessToken(authCode: code)
        let error = await #expect(throws: SyncError.self) { try await client.userAccessToken(authCode: code) }
        #expect(error?.code == .request)
        #expect(error?.message.contains("invalidAuthCode") == true)
        let unionId = try await client.unionId(userAccessToken: token)
        #expect(try await client.userId(unionId: unionId) == nil)
        let stale = await #expect(throws: SyncError.self) { try await client.unionId(userAccessToken: "forged") }
        #expect(stale?.code == .credentials)
    }

    @Test func theLoginPageRefusesAnotherAppAndUnknownUsers() async throws {
        let harness = try SyncHarness(records: SyncHarness.sample)
        defer { harness.tearDown() }
        let transport = CurlTransport(timeoutSeconds: 5)
        let base = harness.server.baseURL + "/oauth2/auth?redirect_uri=https%3A%2F%2Fx.example%2Fcb&response_type=code"
        let foreign = try await transport.send(HTTPRequest(method: .get, url: base + "&client_id=other&login_as=u1"))
        #expect(foreign.status == 400)
        let key = harness.emulator.options.appKey
        let unknown = try await transport.send(
            HTTPRequest(method: .get, url: base + "&client_id=\(key)&login_as=nobody")
        )
        #expect(unknown.status == 400)
        let picker = try await transport.send(HTTPRequest(method: .get, url: base + "&client_id=\(key)&state=s1"))
        #expect(picker.status == 200)
        let page = String(decoding: picker.body, as: UTF8.self)
        #expect(page.contains("login_as=\(EmulatedOrganisation.outsider)"))
        #expect(page.contains("负责人"))
    }

    /// Goes through the emulator's login page as `login` and returns the code it sends back with the state.
    private func authCode(_ harness: SyncHarness, transport: CurlTransport, login: String) async throws -> String {
        let url =
            harness.server.baseURL + "/oauth2/auth?redirect_uri=" + "https%3A%2F%2Flean.example.com%2Fauth%2Fdingtalk"
            + "&response_type=code&client_id=\(harness.emulator.options.appKey)&scope=openid&state=abc&prompt=consent"
            + "&login_as=\(login)"
        let reply = try await transport.send(HTTPRequest(method: .get, url: url))
        #expect(reply.status == 302)
        let location = try #require(reply.header("location"))
        #expect(location.hasPrefix("https://lean.example.com/auth/dingtalk?authCode="))
        #expect(location.hasSuffix("&state=abc"))
        let components = try #require(URLComponents(string: location))
        return try #require(components.queryItems?.first { $0.name == "authCode" }?.value)
    }
}

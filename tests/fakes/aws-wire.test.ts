// The fake EC2/STS on the wire, below the SDK: Query decoding and AWS's XML envelopes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';
import { parseQueryBody } from '../../src/fakes/aws/query.ts';

describe('parseQueryBody', () => {
  test('rebuilds nested lists and structures from flattened keys, in list order', () => {
    const params = parseQueryBody(
      'Action=AuthorizeSecurityGroupIngress&GroupId=sg-1' +
        '&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.IpRanges.2.CidrIp=198.51.100.0%2F24' +
        '&IpPermissions.1.IpRanges.1.CidrIp=203.0.113.5%2F32&IpPermissions.1.IpRanges.1.Description=a%20b' +
        '&Filter.1.Value.10=ten&Filter.1.Value.2=two&Filter.1.Name=tag%3Aportcullis%3Agroup',
    );
    assert.deepEqual(params, {
      Action: 'AuthorizeSecurityGroupIngress',
      GroupId: 'sg-1',
      IpPermissions: [{ IpProtocol: 'tcp', IpRanges: [{ CidrIp: '203.0.113.5/32', Description: 'a b' }, { CidrIp: '198.51.100.0/24' }] }],
      Filter: [{ Name: 'tag:portcullis:group', Value: ['two', 'ten'] }],
    });
  });

  test('refuses a key that is both a value and a structure', () => {
    assert.throws(() => parseQueryBody('GroupId=sg-1&GroupId.1=sg-2'), { code: 'InvalidParameterValue' });
    assert.throws(() => parseQueryBody('GroupId.1=sg-2&GroupId=sg-1'), { code: 'InvalidParameterValue' });
  });
});

describe('fake EC2/STS wire format', () => {
  let fake: AwsFake;
  const auth = () => `AWS4-HMAC-SHA256 Credential=${fake.accessKeyId}/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00`;

  async function post(body: string, headers: Record<string, string> = { authorization: auth() }) {
    const res = await fetch(fake.url + '/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
    return { status: res.status, requestId: res.headers.get('x-amzn-requestid'), text: await res.text() };
  }

  before(async () => {
    fake = await startAwsFake();
  });
  after(() => fake.close());

  test('EC2 answers in its namespace with requestId and <item> lists', async () => {
    fake.driver.addSecurityGroup({ groupName: 'sg-front', tags: { team: 'web' } });
    const { status, text, requestId } = await post('Action=DescribeSecurityGroups&Version=2016-11-15');
    assert.equal(status, 200);
    assert.match(text, /^<\?xml[^>]*>\n<DescribeSecurityGroupsResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>([0-9a-f-]{36})<\/requestId>/);
    assert.ok(text.includes(`<requestId>${requestId}</requestId>`));
    assert.match(text, /<securityGroupInfo><item><ownerId>123456789012<\/ownerId><groupId>sg-[0-9a-f]{17}<\/groupId><groupName>sg-front<\/groupName>/);
    assert.match(text, /<ipPermissions\/><ipPermissionsEgress\/><tagSet><item><key>team<\/key><value>web<\/value><\/item><\/tagSet>/);
  });

  test('EC2 errors use <Response><Errors><Error> with a RequestID', async () => {
    const { status, text, requestId } = await post('Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=sg-0000000000000dead');
    assert.equal(status, 400);
    assert.equal(
      text.replace(/^<\?xml[^>]*>\n/, ''),
      `<Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>The security group 'sg-0000000000000dead' does not exist</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    );
  });

  test('STS answers nest the result and carry ResponseMetadata', async () => {
    const { status, text, requestId } = await post('Action=GetCallerIdentity&Version=2011-06-15');
    assert.equal(status, 200);
    assert.match(text, /<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user\/portcullis-bot<\/Arn>/);
    assert.ok(text.endsWith(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`));
  });

  test('STS errors use <ErrorResponse> with Type, Code and RequestId', async () => {
    const { status, text } = await post('Action=GetCallerIdentity&Version=2011-06-15', {});
    assert.equal(status, 403);
    assert.match(text, /<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>InvalidClientTokenId<\/Code>/);
    assert.match(text, /<RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
  });

  test('a request without credentials, an unknown action and a GET are refused', async () => {
    const anonymous = await post('Action=DescribeInstances&Version=2016-11-15', {});
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.text, /<Code>AuthFailure<\/Code>/);
    const unknown = await post('Action=RunInstances&Version=2016-11-15');
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /<Code>InvalidAction<\/Code>/);
    const get = await fetch(fake.url + '/?Action=DescribeInstances');
    assert.equal(get.status, 400);
    assert.match(await get.text(), /<Code>InvalidAction<\/Code>/);
  });

  test('an unknown filter and a bad page size are refused as EC2 refuses them', async () => {
    const filter = await post('Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=flavour&Filter.1.Value.1=x');
    assert.match(filter.text, /<Code>InvalidParameterValue<\/Code><Message>The filter 'flavour' is invalid<\/Message>/);
    const page = await post('Action=DescribeInstances&Version=2016-11-15&MaxResults=2');
    assert.match(page.text, /<Code>InvalidParameterValue<\/Code>/);
    const token = await post('Action=DescribeInstances&Version=2016-11-15&MaxResults=5&NextToken=garbage');
    assert.match(token.text, /<Code>InvalidPaginationToken<\/Code>/);
  });
});

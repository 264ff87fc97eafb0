// Independent check of what the app publishes, with Digital Bazaar's libraries: the Open Badges credentials'
// eddsa-jcs-2022 proofs and their W3C Bitstring Status List status (list credential signature included).
// Input (JSON file named on the command line): {"documents": {url: document}, "credentials": {name: credential}}
// where documents hold the app's DID document, the status list credential and the Open Badges context.
// Output (stdout, JSON): {name: {verified, errors, status: {verified, revoked, error}}}.
import {readFile} from 'node:fs/promises';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';

const input = JSON.parse(await readFile(process.argv[2], 'utf8'));
const documents = new Map(Object.entries(input.documents));
for(const [url, document] of credentialsContexts) {
  documents.set(url, document);
}

// Nothing is fetched: every URL resolves to a document given by the test, or fails.
async function documentLoader(url) {
  const [base, fragment] = url.split('#');
  const document = documents.get(base);
  if(!document) {
    throw new Error(`document not provided to the checker: ${url}`);
  }
  if(fragment === undefined) {
    return {contextUrl: null, documentUrl: url, document};
  }
  // A DID URL with a fragment: the verification method inside the DID document.
  const method = (document.verificationMethod || []).find(m => m.id === url);
  if(!method) {
    throw new Error(`no verification method ${url}`);
  }
  return {
    contextUrl: null,
    documentUrl: url,
    document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}
  };
}

const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
const results = {};
for(const [name, credential] of Object.entries(input.credentials)) {
  const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
  const status = await checkStatus({credential, documentLoader, suite, verifyMatchingIssuers: true});
  results[name] = {
    verified: result.verified,
    errors: (result.error?.errors || (result.error ? [result.error] : [])).map(e => String(e.message || e)),
    status: {
      verified: status.verified,
      revoked: status.verified ? status.results?.[0]?.status ?? status.status : null,
      error: status.error ? String(status.error.message || status.error) : null
    }
  };
}
process.stdout.write(JSON.stringify(results, null, 2) + '\n');

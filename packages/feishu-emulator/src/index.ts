export { FeishuEmulator, DEFAULT_LIMITS } from "./emulator";
export type {
  ClickCardOptions,
  Delivery,
  DeliveryConfig,
  DeliveryRecord,
  EmulatorChat,
  EmulatorDepartment,
  EmulatorLimits,
  EmulatorOptions,
  EmulatorUser,
  FailAnswer,
  MessageUpdate,
  ReceiveIdType,
  RecordedCall,
  SentMessage,
  SentFileRef,
  StoredFile,
  UserMessageOptions,
} from "./types";
export type { ConversationEntry, ConversationView } from "./conversations";
export { encryptEvent, signEvent } from "./crypto";
export { DEMO_CHAT, DEMO_USERS } from "./demo";
export { validateCard, type CardValidation } from "./card-validator";
export { generateOrgTree, personName, type OrgTree, type OrgTreeOptions } from "./org-seed";
export { APP_INFO_SCOPE, APP_SCOPES, CONTACT_SCOPES } from "./types";
